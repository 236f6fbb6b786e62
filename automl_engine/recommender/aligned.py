"""A fitted recommender used with a catalogue that has grown since it was fitted (pipelines matched by id)."""
from __future__ import annotations

import numpy as np

from automl_engine.recommender.protocol import CATALOGUE_ORDER, Suggestion


class CatalogueAlignedRecommender:
    """A fitted recommender over the knowledge's pipelines, used with a catalogue that has others.

    The shipped recommender has one column per pipeline of the knowledge it was fitted on. When
    the catalogue has grown since (a new family), this wrapper maps catalogue indices to those
    columns by pipeline id. Pipelines the recommender does not cover are not suggested while
    covered ones remain (nothing is known about them until the knowledge build has evaluated
    them and the recommender is refitted); once every covered pipeline is observed or excluded
    they come next, in catalogue order, so the search can still exhaust the catalogue. Their
    predicted mean and standard deviation are NaN (the observed score once observed), as with
    random search.

    Parameters
    ----------
    recommender : PMFRecommender, fitted
    pipeline_ids : sequence of str, the id of each of its columns
    catalogue_ids : sequence of str, the catalogue's ids (the indices the caller uses)
    """

    def __init__(self, recommender, pipeline_ids, catalogue_ids):
        self.recommender = recommender
        self.pipeline_ids = [str(p) for p in pipeline_ids]
        self.catalogue_ids = [str(p) for p in catalogue_ids]
        position = {pid: i for i, pid in enumerate(self.catalogue_ids)}
        self.to_catalogue_ = np.array([position.get(pid, -1) for pid in self.pipeline_ids], dtype=np.intp)
        self.to_recommender_ = {int(i): j for j, i in enumerate(self.to_catalogue_) if i >= 0}
        self.uncovered_ = [i for i in range(len(self.catalogue_ids)) if i not in self.to_recommender_]

    # what the search, the local warm start and the app read of a recommender, in catalogue terms
    @property
    def n_warm_start(self) -> int:
        return self.recommender.n_warm_start

    @property
    def neighbour_prior(self) -> bool:
        return self.recommender.neighbour_prior

    @property
    def meta_features_(self):
        return self.recommender.meta_features_

    @property
    def meta_mean_(self):
        return self.recommender.meta_mean_

    @property
    def meta_scale_(self):
        return self.recommender.meta_scale_

    def warm_start_neighbours(self, meta_features, k=None):
        return self.recommender.warm_start_neighbours(meta_features, k=k)

    @property
    def n_pipelines(self) -> int:
        return len(self.catalogue_ids)

    def _own(self, indices) -> list[int]:
        return [self.to_recommender_[int(i)] for i in indices if int(i) in self.to_recommender_]

    def _own_observed(self, observed) -> dict:
        return {self.to_recommender_[int(i)]: v for i, v in (observed or {}).items() if int(i) in self.to_recommender_}

    def _to_catalogue(self, values, fill=np.nan) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        out = np.full((self.n_pipelines,) + values.shape[1:], fill, dtype=float)
        covered = self.to_catalogue_ >= 0
        out[self.to_catalogue_[covered]] = values[covered]
        return out

    def predict(self, observed, meta_features=None):
        """Mean and std over the catalogue's pipelines (NaN for pipelines the recommender does not cover)."""
        mean, std = self.recommender.predict(self._own_observed(observed), meta_features=meta_features)
        mean, std = self._to_catalogue(mean), self._to_catalogue(std)
        for i, value in (observed or {}).items():
            if int(i) not in self.to_recommender_:
                mean[int(i)], std[int(i)] = float(value), 0.0
        return mean, std

    def suggest(self, observed, n=1, meta_features=None, costs=None, exclude=()) -> list[Suggestion]:
        """Catalogue indices, as :meth:`PMFRecommender.suggest`; uncovered pipelines only once no covered one is
        left."""
        observed = observed or {}
        not_in_catalogue = [int(j) for j in np.flatnonzero(self.to_catalogue_ < 0)]
        own_exclude = self._own(exclude) + not_in_catalogue
        own_costs = None
        if costs is not None:
            own_costs = np.asarray(costs, dtype=float)[np.maximum(self.to_catalogue_, 0)]
            own_costs[self.to_catalogue_ < 0] = np.nan
        own = self.recommender.suggest(self._own_observed(observed), n=n, meta_features=meta_features,
                                       costs=own_costs, exclude=own_exclude)
        picks = [Suggestion(int(self.to_catalogue_[j]), j.source, j.predicted_score, j.predicted_std) for j in own]
        taken = {int(i) for i in observed} | {int(i) for i in exclude} | {int(p) for p in picks}
        for i in self.uncovered_:
            if len(picks) >= n:
                break
            if i not in taken:
                picks.append(Suggestion(i, CATALOGUE_ORDER))
        return picks

    @property
    def embeddings_(self) -> np.ndarray:
        return self._to_catalogue(self.recommender.embeddings_)

    def project_2d(self) -> np.ndarray:
        return self._to_catalogue(self.recommender.project_2d())

    def with_params(self, **params):
        return CatalogueAlignedRecommender(self.recommender.with_params(**params), self.pipeline_ids,
                                           self.catalogue_ids)
