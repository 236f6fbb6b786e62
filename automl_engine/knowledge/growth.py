"""Growth of the knowledge: finished searches add their rows to a local store, used next time.

The shipped recommender is not refitted: local rows join the warm start
(:class:`~automl_engine.recommender.local.LocalWarmStart` proposes their best pipelines first when
they are the nearest datasets in meta-feature space).
"""
from __future__ import annotations

import numpy as np

from automl_engine.catalogue import Catalogue
from automl_engine.knowledge.metafeatures import meta_feature_vector
from automl_engine.knowledge.store import KnowledgeStore
from automl_engine.recommender.local import LocalRow


def record_search(store: KnowledgeStore, name: str, task: str, task_type: str, meta_features: dict,
                  fingerprint: str, rows: int, features: int, history: list[dict], catalogue: Catalogue) -> None:
    """Add one finished search (observed scores and timings) to the local store."""
    store.add_dataset(name, task_type, task, "user", meta_features, "user", fingerprint, rows, features)
    store.add_evaluations(name, [
        {"pipeline_id": h["pipeline_id"], "status": h["status"], "score": h["score"], "score_std": h.get("score_std"),
         "fit_time": h.get("fit_time"), "wall_time": h.get("wall_time"), "error": h.get("error", "")}
        for h in history if h["pipeline_id"] in set(catalogue.ids)
    ])


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
