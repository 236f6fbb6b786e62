"""Offline knowledge build: evaluate catalogue pipelines on corpus tasks into a store; resumable.

Each dataset evaluates a fixed set of anchor pipelines plus a random subset (seeded by the
dataset's name), on rows sub-sampled to a cap, with fixed folds. Results are written as they
come, so a killed build resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from automl_engine.catalogue import Catalogue, build_pipeline, load_catalogue, task_type_of
from automl_engine.evaluation import EvaluationTask, Evaluator, as_labels, make_folds
from automl_engine.evaluation.metrics import DEFAULT_METRIC
from automl_engine.knowledge.artifact import STATUS_NAMES, Knowledge
from automl_engine.knowledge.corpus import load_task_frame
from automl_engine.knowledge.metafeatures import compute_meta_features
from automl_engine.knowledge.store import KnowledgeStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildSettings:
    """How the matrix is sampled and each pipeline evaluated."""

    max_rows: int = 800
    n_folds: int = 3
    density: float = 0.205
    n_anchors: int = 39
    seed: int = 0


@dataclass
class BuildProgress:
    """What a progress callback receives after each finished evaluation."""

    done: int
    total: int
    elapsed: float
    dataset: str
    status: str

    @property
    def eta_seconds(self) -> float:
        return self.elapsed / self.done * (self.total - self.done) if self.done else float("nan")


def _seed_from(*parts) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "little")


def anchor_indices(catalogue: Catalogue, n_anchors: int, seed: int = 0) -> list[int]:
    """Pipelines every dataset evaluates: an equal share of each family, chosen deterministically."""
    families = sorted(set(catalogue.families))
    per_family = max(1, n_anchors // len(families))
    rng = np.random.default_rng(_seed_from("anchors", catalogue.task_type, seed))
    chosen = []
    for family in families:
        members = [i for i, f in enumerate(catalogue.families) if f == family]
        chosen.extend(int(i) for i in rng.choice(members, size=min(per_family, len(members)), replace=False))
    return sorted(chosen)


def planned_indices(catalogue: Catalogue, dataset: str, settings: BuildSettings) -> list[int]:
    """Anchors plus a random subset, ``settings.density`` of the catalogue in all, in evaluation order."""
    anchors = anchor_indices(catalogue, settings.n_anchors, settings.seed)
    target = max(len(anchors), math.ceil(settings.density * len(catalogue)))
    rng = np.random.default_rng(_seed_from("plan", dataset, settings.seed))
    others = [i for i in rng.permutation(len(catalogue)) if i not in set(anchors)]
    return anchors + [int(i) for i in others[: target - len(anchors)]]


@dataclass
class PreparedTask:
    """A corpus task ready to evaluate on."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    task: str
    column_types: dict
    meta_features: dict


def prepare_corpus_task(row: dict, settings: BuildSettings) -> PreparedTask:
    """Load, type and sub-sample one corpus task, and compute its meta-features on the full table."""
    from automl_engine.data.intake import prepare_data

    frame = load_task_frame(row)
    prepared = prepare_data(frame, row["target"], task=row["task"], max_rows=10**9, random_state=settings.seed)
    X, y = prepared.X, as_labels(prepared.y, prepared.task)
    meta = compute_meta_features(X, y, prepared.task, prepared.column_types, random_state=settings.seed)
    if len(X) > settings.max_rows:
        rng = np.random.default_rng(_seed_from("rows", row["name"], settings.seed))
        if prepared.task != "regression":
            from sklearn.model_selection import train_test_split

            keep, _ = train_test_split(np.arange(len(X)), train_size=settings.max_rows, stratify=y,
                                       random_state=int(rng.integers(2**31)))
            keep = np.sort(keep)
        else:
            keep = np.sort(rng.choice(len(X), settings.max_rows, replace=False))
        X, y = X.iloc[keep].reset_index(drop=True), y[keep]
    return PreparedTask(row["name"], X.reset_index(drop=True), y, prepared.task, prepared.column_types, meta)


def seed_store_from_knowledge(store: KnowledgeStore, knowledge: Knowledge, table: pd.DataFrame) -> int:
    """Copy shipped results into ``store`` for datasets it lacks (so a build resumes from the artifact)."""
    known = {d["name"] for d in store.datasets()}
    info = table.set_index("name")
    added = 0
    for i, name in enumerate(knowledge.datasets):
        if name in known or name not in info.index:
            continue
        meta = dict(zip(knowledge.meta_feature_names.tolist(), knowledge.meta_features[i].tolist()))
        row = info.loc[name]
        store.add_dataset(name, knowledge.task_type, str(knowledge.tasks[i]), "corpus", meta, str(row["split"]),
                          str(row["fingerprint"]), int(row["rows"]), int(row["features"]))
        records = [
            {"pipeline_id": str(knowledge.pipeline_ids[j]), "status": STATUS_NAMES[int(knowledge.status[i, j])],
             "score": float(knowledge.scores[i, j]), "wall_time": float(knowledge.wall_times[i, j])}
            for j in np.flatnonzero(knowledge.status[i])
        ]
        store.add_evaluations(name, records)
        added += len(records)
    return added


def _pending(store: KnowledgeStore, table: pd.DataFrame, settings: BuildSettings,
             catalogues: dict[str, Catalogue]) -> list[tuple[dict, list[int]]]:
    work = []
    for row in table.to_dict("records"):
        catalogue = catalogues[task_type_of(row["task"])]
        done = store.evaluated_pipelines(row["name"])
        todo = [i for i in planned_indices(catalogue, row["name"], settings) if catalogue[i].id not in done]
        if todo:
            work.append((row, todo))
    return work


def _tasks(store: KnowledgeStore, work, settings: BuildSettings, catalogues) -> Iterator[tuple[str, EvaluationTask]]:
    for row, todo in work:
        try:
            prepared = prepare_corpus_task(row, settings)
            folds = make_folds(prepared.y, prepared.task, n_splits=settings.n_folds, random_state=settings.seed)
        except Exception as exc:  # noqa: BLE001 - one broken corpus task must not stop the build
            logger.warning("skipping corpus task %s: %s", row["name"], exc)
            continue
        task_type = task_type_of(prepared.task)
        store.add_dataset(row["name"], task_type, prepared.task, "corpus", prepared.meta_features,
                          row["split"], row["fingerprint"], int(row["rows"]), int(row["features"]))
        catalogue = catalogues[task_type]
        for index in todo:
            spec = catalogue[index]
            pipeline = build_pipeline(spec, prepared.column_types, random_state=settings.seed)
            yield row["name"], EvaluationTask(spec.id, pipeline, prepared.X, prepared.y, prepared.task,
                                              DEFAULT_METRIC[prepared.task], folds, keep_oof=False)


def build_knowledge(store: KnowledgeStore, table: pd.DataFrame, evaluator: Evaluator,
                    settings: BuildSettings = BuildSettings(),
                    progress: Callable[[BuildProgress], None] | None = None,
                    stop: threading.Event | None = None) -> int:
    """Evaluate every planned (dataset, pipeline) pair not yet in ``store``; returns how many ran.

    Parameters
    ----------
    store : KnowledgeStore
        Where results go, one transaction per result.
    table : DataFrame
        Corpus tasks (rows of the corpus table) to build.
    evaluator : Evaluator
        Local processes or a Dask cluster; ``evaluator.n_jobs`` evaluations are kept in flight.
    """
    catalogues = {t: load_catalogue(t) for t in ("classification", "regression")}
    work = _pending(store, table, settings, catalogues)
    total = sum(len(todo) for _, todo in work)
    logger.info("knowledge build: %d evaluations pending over %d datasets", total, len(work))
    tasks = _tasks(store, work, settings, catalogues)
    done, start = 0, time.perf_counter()
    exhausted = False
    while True:
        while not exhausted and evaluator.in_flight < evaluator.n_jobs and not (stop and stop.is_set()):
            item = next(tasks, None)
            if item is None:
                exhausted = True
                break
            dataset, task = item
            task.key = f"{dataset}\x1f{task.key}"
            evaluator.submit(task)
        if evaluator.in_flight == 0:
            break
        result = evaluator.next_result(timeout=1.0)
        if result is None:
            continue
        dataset, pipeline_id = result.key.split("\x1f", 1)
        store.add_evaluations(dataset, [{
            "pipeline_id": pipeline_id, "status": result.status, "score": result.score,
            "score_std": result.score_std, "fit_time": result.fit_time, "wall_time": result.wall_time,
            "error": result.error,
        }])
        done += 1
        if progress:
            progress(BuildProgress(done, total, time.perf_counter() - start, dataset, result.status))
    return done
