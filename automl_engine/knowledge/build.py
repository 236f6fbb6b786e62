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
from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from automl_engine.catalogue import (
    Catalogue,
    build_pipeline,
    family_changes,
    family_versions,
    load_catalogue,
    task_type_of,
)
from automl_engine.catalogue.enumerate import FIRST_VERSION
from automl_engine.evaluation import EvaluationTask, Evaluator, as_labels, make_folds
from automl_engine.evaluation.metrics import DEFAULT_METRIC
from automl_engine.knowledge.artifact import SKIPPED, STATUS_NAMES, Knowledge
from automl_engine.knowledge.corpus import load_task_frame
from automl_engine.knowledge.fidelity import SECOND_FIDELITY_ROWS, base_name
from automl_engine.knowledge.metafeatures import compute_meta_features
from automl_engine.knowledge.store import KnowledgeStore
from automl_engine.task import Task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildSettings:
    """How the matrix is sampled and each pipeline evaluated."""

    max_rows: int = 800
    n_folds: int = 3
    density: float = 0.205
    n_anchors: int = 39
    seed: int = 0
    timeout_streak: int = 3
    """After this many timeouts of one family on one dataset, its other planned pipelines there are
    recorded as ``skipped`` (not evaluated, unobserved in the matrix) instead of timing out one by one."""
    fidelity_rows: int = SECOND_FIDELITY_ROWS
    """Second fidelity: a dataset with at least this many rows is also evaluated on a sample of this many
    rows, on the anchor pipelines only (the same pipelines on every such dataset, so scores at the two sizes
    can be compared), after every first-fidelity evaluation. 0 turns it off."""
    fidelity_first: bool = False
    """Run the second fidelity's evaluations first, then the first-fidelity evaluations of the datasets that have
    a second fidelity, then the rest: the datasets with both rows, which a study of the second fidelity needs,
    are complete while the rest of a long build goes on. The evaluations are the same either way."""


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


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def version_groups(catalogue: Catalogue) -> list[tuple[str, list[int]]]:
    """The catalogue's pipelines grouped by the catalogue version that added their family, oldest first.

    Families are only ever appended, so each group is a contiguous run of indices and the first
    group is exactly the first catalogue version's catalogue.
    """
    versions = family_versions(catalogue.task_type)
    groups: dict[str, list[int]] = {}
    for i, family in enumerate(catalogue.families):
        groups.setdefault(versions.get(family, FIRST_VERSION), []).append(i)
    return [(version, groups[version]) for version in sorted(groups, key=_version_key)]


def _group_seed(version: str, *parts) -> int:
    # the first version's seeds are those the build used before versions existed: its plans stay the same
    return _seed_from(*parts) if version == FIRST_VERSION else _seed_from(*parts, version)


def _anchors_per_family(catalogue: Catalogue, groups, n_anchors: int) -> int:
    first_families = {catalogue.families[i] for i in groups[0][1]}
    return max(1, n_anchors // len(first_families))


def _group_anchors(catalogue: Catalogue, members: list[int], per_family: int, seed: int) -> list[int]:
    families = sorted({catalogue.families[i] for i in members})
    rng = np.random.default_rng(seed)
    chosen = []
    for family in families:
        in_family = [i for i in members if catalogue.families[i] == family]
        chosen.extend(int(i) for i in rng.choice(in_family, size=min(per_family, len(in_family)), replace=False))
    return sorted(chosen)


def anchor_indices(catalogue: Catalogue, n_anchors: int, seed: int = 0) -> list[int]:
    """Pipelines every dataset evaluates: an equal share of each family, chosen deterministically.

    ``n_anchors`` is shared among the first catalogue version's families (39 over 13 families:
    3 each); a family added by a later version gets the same number, drawn with a seed of its own,
    so adding a family leaves the anchors of the others unchanged.
    """
    groups = version_groups(catalogue)
    per_family = _anchors_per_family(catalogue, groups, n_anchors)
    chosen = []
    for version, members in groups:
        chosen += _group_anchors(catalogue, members, per_family,
                                 _group_seed(version, "anchors", catalogue.task_type, seed))
    return sorted(chosen)


def planned_indices(catalogue: Catalogue, dataset: str, settings: BuildSettings) -> list[int]:
    """Anchors plus a random subset, ``settings.density`` of the catalogue in all, in evaluation order.

    Each catalogue version's pipelines are planned on their own (their anchors plus a random
    ``density`` share of them, seeded by the dataset's name and the version), so a dataset built
    under an older catalogue keeps its plan and only adds the new families' share.
    """
    groups = version_groups(catalogue)
    per_family = _anchors_per_family(catalogue, groups, settings.n_anchors)
    plan: list[int] = []
    for version, members in groups:
        anchors = _group_anchors(catalogue, members, per_family,
                                 _group_seed(version, "anchors", catalogue.task_type, settings.seed))
        target = max(len(anchors), math.ceil(settings.density * len(members)))
        rng = np.random.default_rng(_group_seed(version, "plan", dataset, settings.seed))
        taken = set(anchors)
        others = [members[i] for i in rng.permutation(len(members)) if members[i] not in taken]
        plan += anchors + [int(i) for i in others[: target - len(anchors)]]
    return plan


@dataclass
class PreparedTask:
    """A corpus task ready to evaluate on."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    task: str
    column_types: dict
    meta_features: dict


def fidelity_name(name: str, rows: int) -> str:
    """The store's name of dataset ``name`` evaluated on a ``rows``-row sample (the second fidelity)."""
    return f"{name}@{rows}"


def fidelity_origin(rows: int) -> str:
    """The store's origin of second-fidelity rows (the first fidelity's is ``corpus``)."""
    return f"corpus@{rows}"


def prepare_corpus_task(row: dict, settings: BuildSettings) -> PreparedTask:
    """Load, type and sub-sample one corpus task, and compute its meta-features on the full table."""
    from automl_engine.data.intake import prepare_data

    frame = load_task_frame(row)
    prepared = prepare_data(frame, row["target"], task=row["task"], max_rows=10**9, random_state=settings.seed)
    X, y = prepared.X, as_labels(prepared.y, prepared.task)
    meta = compute_meta_features(X, y, prepared.task, prepared.column_types, random_state=settings.seed)
    if len(X) > settings.max_rows:
        rng = np.random.default_rng(_seed_from("rows", row["name"], settings.seed))
        if prepared.task != Task.REGRESSION:
            from sklearn.model_selection import train_test_split

            keep, _ = train_test_split(np.arange(len(X)), train_size=settings.max_rows, stratify=y,
                                       random_state=int(rng.integers(2**31)))
            keep = np.sort(keep)
        else:
            keep = np.sort(rng.choice(len(X), settings.max_rows, replace=False))
        X, y = X.iloc[keep].reset_index(drop=True), y[keep]
    return PreparedTask(row["name"], X.reset_index(drop=True), y, prepared.task, prepared.column_types, meta)


def seed_store_from_knowledge(store: KnowledgeStore, knowledge: Knowledge, table: pd.DataFrame,
                              origin: str = "corpus") -> int:
    """Copy shipped results into ``store`` for datasets it lacks (so a build resumes from the artifact);
    ``origin``: the store's origin of these rows (a second-fidelity file's rows have their own).

    Scores of families whose estimator changed in a later catalogue version than the artifact's
    (``changed`` in the spec) are not copied: the build evaluates them again.
    """
    known = {d["name"] for d in store.datasets()}
    info = table.set_index("name")
    catalogue = load_catalogue(knowledge.task_type)
    changed = family_changes(knowledge.task_type)
    family = dict(zip(catalogue.ids, catalogue.families))
    stale = np.array([_version_key(changed.get(family.get(str(pid), ""), FIRST_VERSION))
                      > _version_key(knowledge.catalogue_version) for pid in knowledge.pipeline_ids], dtype=bool)
    if stale.any():
        logger.info("not copying %s scores of %d pipelines whose estimator changed after catalogue %s",
                    knowledge.task_type, int(stale.sum()), knowledge.catalogue_version)
    added = 0
    for i, name in enumerate(knowledge.datasets):
        if name in known or base_name(name) not in info.index:
            continue
        meta = dict(zip(knowledge.meta_feature_names.tolist(), knowledge.meta_features[i].tolist()))
        row = info.loc[base_name(name)]
        store.add_dataset(name, knowledge.task_type, str(knowledge.tasks[i]), origin, meta, str(row["split"]),
                          str(row["fingerprint"]), int(row["rows"]), int(row["features"]))
        records = [
            {"pipeline_id": str(knowledge.pipeline_ids[j]), "status": STATUS_NAMES[int(knowledge.status[i, j])],
             "score": float(knowledge.scores[i, j]), "wall_time": float(knowledge.wall_times[i, j])}
            for j in np.flatnonzero((knowledge.status[i] != 0) & ~stale)
        ]
        store.add_evaluations(name, records)
        added += len(records)
    return added


def _timeouts_by_family(store: KnowledgeStore, family: dict[str, str]) -> Counter:
    """(dataset, family) → timed-out evaluations already in ``store`` (a resumed build keeps counting);
    ``family``: pipeline id → family."""
    return Counter((e["dataset"], family.get(e["pipeline_id"])) for e in store.evaluations()
                   if e["status"] == "timeout")


def _pending(store: KnowledgeStore, table: pd.DataFrame, settings: BuildSettings,
             catalogues: dict[str, Catalogue]) -> list[tuple[dict, list[int]]]:
    """(corpus row, pipeline indices still to evaluate): every dataset at the first fidelity, then the second
    fidelity's rows (the row's ``name`` suffixed, ``max_rows`` its sample size, ``origin`` its origin); with
    ``settings.fidelity_first`` the second fidelity's rows, then the first fidelity of their datasets, then
    the rest."""
    work, second, has_second = [], [], []
    anchors = {task_type: anchor_indices(catalogue, settings.n_anchors, settings.seed)
               for task_type, catalogue in catalogues.items()}
    for row in table.to_dict("records"):
        catalogue = catalogues[task_type_of(row["task"])]
        large = bool(settings.fidelity_rows) and int(row["rows"]) >= settings.fidelity_rows
        done = store.evaluated_pipelines(row["name"])
        todo = [i for i in planned_indices(catalogue, row["name"], settings) if catalogue[i].id not in done]
        if todo:
            work.append(({**row, "max_rows": settings.max_rows, "origin": "corpus"}, todo))
            has_second.append(large)
        if large:
            name = fidelity_name(row["name"], settings.fidelity_rows)
            done = store.evaluated_pipelines(name)
            todo = [i for i in anchors[task_type_of(row["task"])] if catalogue[i].id not in done]
            if todo:
                second.append(({**row, "name": name, "max_rows": settings.fidelity_rows,
                                "origin": fidelity_origin(settings.fidelity_rows)}, todo))
    if not settings.fidelity_first:
        return work + second
    return (second + [w for w, large in zip(work, has_second) if large]
            + [w for w, large in zip(work, has_second) if not large])


def _tasks(store: KnowledgeStore, work, settings: BuildSettings, catalogues) -> Iterator[tuple[str, EvaluationTask]]:
    for row, todo in work:
        try:
            prepared = prepare_corpus_task(row, replace(settings, max_rows=int(row["max_rows"])))
            folds = make_folds(prepared.y, prepared.task, n_splits=settings.n_folds, random_state=settings.seed)
        except Exception as exc:  # noqa: BLE001 - one broken corpus task must not stop the build
            logger.warning("skipping corpus task %s: %s", row["name"], exc)
            continue
        task_type = task_type_of(prepared.task)
        store.add_dataset(row["name"], task_type, prepared.task, row["origin"], prepared.meta_features,
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
    family = {spec.id: spec.family for catalogue in catalogues.values() for spec in catalogue}
    timeouts = _timeouts_by_family(store, family)
    done, start = 0, time.perf_counter()
    exhausted = False

    def record(dataset: str, evaluation: dict) -> None:
        nonlocal done
        store.add_evaluations(dataset, [evaluation])
        if evaluation["status"] == "timeout":
            timeouts[dataset, family.get(evaluation["pipeline_id"])] += 1
        done += 1
        if progress:
            progress(BuildProgress(done, total, time.perf_counter() - start, dataset, evaluation["status"]))

    while True:
        while not exhausted and evaluator.in_flight < evaluator.n_jobs and not (stop and stop.is_set()):
            item = next(tasks, None)
            if item is None:
                exhausted = True
                break
            dataset, task = item
            streak = timeouts[dataset, family.get(task.key)]
            if streak >= settings.timeout_streak:
                record(dataset, {"pipeline_id": task.key, "status": SKIPPED, "error":
                                 f"not evaluated: {streak} pipelines of its family timed out on this dataset"})
                continue
            task.key = f"{dataset}\x1f{task.key}"
            evaluator.submit(task)
        if evaluator.in_flight == 0:
            break
        result = evaluator.next_result(timeout=1.0)
        if result is None:
            continue
        dataset, pipeline_id = result.key.split("\x1f", 1)
        record(dataset, {"pipeline_id": pipeline_id, "status": result.status, "score": result.score,
                         "score_std": result.score_std, "fit_time": result.fit_time,
                         "wall_time": result.wall_time, "error": result.error})
    return done
