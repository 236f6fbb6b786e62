"""Growth of the knowledge: finished searches add their rows to a local store, used next time.

The shipped recommender is not refitted: local rows join the warm start (their best pipelines
are proposed first when they are the nearest datasets in meta-feature space).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automl_engine.catalogue import Catalogue
from automl_engine.knowledge.metafeatures import meta_feature_vector
from automl_engine.knowledge.store import KnowledgeStore

LOCAL_PICKS = 3
"""First picks the user's own past runs may take when they are nearer than any training dataset,
at least (more if the recommender makes more fixed warm-start picks): a recommender that steers
by its prior alone (``n_warm_start=0``) would otherwise never use them."""


def record_search(store: KnowledgeStore, name: str, task: str, task_type: str, meta_features: dict,
                  fingerprint: str, rows: int, features: int, history: list[dict], catalogue: Catalogue) -> None:
    """Add one finished search (observed scores and timings) to the local store."""
    store.add_dataset(name, task_type, task, "user", meta_features, "user", fingerprint, rows, features)
    store.add_evaluations(name, [
        {"pipeline_id": h["pipeline_id"], "status": h["status"], "score": h["score"], "score_std": h.get("score_std"),
         "fit_time": h.get("fit_time"), "wall_time": h.get("wall_time"), "error": h.get("error", "")}
        for h in history if h["pipeline_id"] in set(catalogue.ids)
    ])


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
        self.local_picks: dict[int, str] = {}  # pick → the local run that chose it (labelled "warm start")

    def __getattr__(self, name):
        return getattr(self.recommender, name)

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

    def suggest(self, observed, n=1, meta_features=None, costs=None, exclude=()):
        finite = sum(np.isfinite(v) for v in observed.values())
        chosen = []
        if finite < self.n_local:
            taken = set(observed) | set(exclude)
            for j, run in self._local_first(meta_features):
                if len(chosen) >= min(n, self.n_local - finite):
                    break
                if j not in taken and j not in chosen:
                    chosen.append(j)
                    self.local_picks[j] = run
        if len(chosen) < n:
            chosen += self.recommender.suggest(observed, n=n - len(chosen), meta_features=meta_features,
                                               costs=costs, exclude=tuple(exclude) + tuple(chosen))
        return chosen

    def predict(self, observed, meta_features=None):
        return self.recommender.predict(observed, meta_features=meta_features)


def local_rows(store: KnowledgeStore, catalogue: Catalogue) -> list[LocalRow]:
    """The local store's user rows for ``catalogue``."""
    column = {pid: j for j, pid in enumerate(catalogue.ids)}
    rows = []
    for dataset in store.datasets(catalogue.task_type, origin="user"):
        meta = meta_feature_vector(dataset["meta_features"])
        scores = {column[e["pipeline_id"]]: e["score"] for e in store.evaluations(dataset["name"])
                  if e["status"] == "ok" and e["pipeline_id"] in column and e["score"] is not None}
        rows.append(LocalRow(dataset["name"], np.nan_to_num(meta), scores))
    return rows
