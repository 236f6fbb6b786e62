"""The user's own earlier runs take the first picks when they are nearer than any training dataset."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automl_engine.recommender.protocol import LOCAL_RUN, Suggestion, suggestions

LOCAL_PICKS = 3
"""First picks the user's own past runs may take when they are nearer than any training dataset,
at least (more if the recommender makes more fixed warm-start picks): a recommender that steers
by its prior alone (``n_warm_start=0``) would otherwise never use them."""


@dataclass(frozen=True)
class LocalRow:
    """One earlier search of this machine: its store name (``user:<table fingerprint>``), meta-features, scores."""

    name: str
    meta_features: np.ndarray
    scores: dict[int, float]


class LocalWarmStart:
    """Wraps a recommender: while warming up, local rows nearer than any training dataset come first.

    Parameters
    ----------
    recommender : PMFRecommender
    local_rows : list of LocalRow from the local store
    """

    def __init__(self, recommender, local_rows: list[LocalRow]):
        self.recommender = recommender
        self.local_rows = local_rows
        self.n_warm_start = recommender.n_warm_start
        self.n_local = max(recommender.n_warm_start, LOCAL_PICKS)
        self.local_picks: dict[int, str] = {}  # pick → the local run that chose it

    def _local_first(self, meta_features) -> list[tuple[int, str]]:
        """(pipeline index, local run name), best first, from the local runs nearer than any training dataset."""
        rec = self.recommender
        if meta_features is None or rec.meta_features_ is None or not self.local_rows:
            return []
        q = (np.asarray(meta_features, float) - rec.meta_mean_) / rec.meta_scale_

        def distance(row: LocalRow) -> float:
            return float(np.abs((row.meta_features - rec.meta_mean_) / rec.meta_scale_ - q).sum())

        _, train_dist = rec.warm_start_neighbours(meta_features, k=1)
        nearest_train = float(train_dist[0]) if len(train_dist) else np.inf
        picks = []
        for row in sorted(self.local_rows, key=distance):
            if distance(row) > nearest_train or not row.scores:
                break
            picks.extend((j, row.name) for j in sorted(row.scores, key=lambda j: -row.scores[j]))
        return picks

    def suggest(self, observed, n=1, meta_features=None, costs=None, exclude=()) -> list[Suggestion]:
        finite = sum(np.isfinite(v) for v in observed.values())
        chosen: list[int] = []
        if finite < self.n_local:
            taken = set(observed) | set(exclude)
            for j, run in self._local_first(meta_features):
                if len(chosen) >= min(n, self.n_local - finite):
                    break
                if j not in taken and j not in chosen:
                    chosen.append(j)
                    self.local_picks[j] = run
        picks: list[Suggestion] = []
        if chosen:
            mean, std = self.predict(observed, meta_features=meta_features)
            picks = suggestions(chosen, LOCAL_RUN, mean, std)
        if len(picks) < n:
            picks += self.recommender.suggest(observed, n=n - len(picks), meta_features=meta_features,
                                              costs=costs, exclude=tuple(exclude) + tuple(chosen))
        return picks

    def predict(self, observed, meta_features=None):
        return self.recommender.predict(observed, meta_features=meta_features)


