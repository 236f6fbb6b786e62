"""The shipped knowledge: compact per-task-type files inside the package, loaded in well under 1 s."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np

from automl_engine.catalogue import Catalogue, load_catalogue
from automl_engine.knowledge.metafeatures import META_FEATURE_NAMES, meta_feature_vector
from automl_engine.knowledge.store import KnowledgeStore
from automl_engine.store.paths import save_npz_atomically
from automl_engine.task import Task

logger = logging.getLogger(__name__)

STATUS_CODES = {"unobserved": 0, "ok": 1, "failed": 2, "timeout": 3, "memory": 4}
STATUS_NAMES = {code: name for name, code in STATUS_CODES.items()}
SKIPPED = "skipped"
"""A store's status for a planned pipeline the build did not evaluate (its family kept timing out on the
dataset); it stays unobserved in the matrix."""
R2_FLOOR = -1.0


def data_dir() -> Path:
    """Folder of the shipped knowledge files (package data)."""
    return Path(str(resources.files("automl_engine.knowledge").joinpath("data")))


@dataclass(frozen=True)
class Knowledge:
    """Performance matrix of past datasets × catalogue pipelines, with meta-features.

    ``scores`` holds the default metric of the task (higher is better), NaN where unobserved
    or failed; ``status`` says which (see ``STATUS_CODES``).
    """

    task_type: str
    catalogue_version: str
    datasets: np.ndarray
    tasks: np.ndarray
    splits: np.ndarray
    pipeline_ids: np.ndarray
    scores: np.ndarray
    status: np.ndarray
    wall_times: np.ndarray
    meta_features: np.ndarray
    meta_feature_names: np.ndarray
    cpu_hours: float

    @property
    def train(self) -> np.ndarray:
        """Boolean mask of the meta-train datasets (the ones the shipped recommender is fitted on)."""
        return self.splits != "test"

    def observed_count(self) -> int:
        return int((self.status != STATUS_CODES["unobserved"]).sum())

    def density(self) -> float:
        size = self.status.size
        return float(self.observed_count() / size) if size else 0.0

    def training_matrix(self) -> np.ndarray:
        """Scores for fitting the recommender: failures count as the row's worst observed score.

        R² below −1 counts as −1 (any model that bad is equally useless): a single catastrophic
        pipeline would otherwise dominate its dataset's standardisation.
        """
        scores = self.scores if self.task_type != Task.REGRESSION else np.maximum(self.scores, R2_FLOOR)
        return failures_as_worst(scores, self.status)

    def summary(self) -> dict:
        return {
            "datasets": int(len(self.datasets)),
            "meta_train_datasets": int(self.train.sum()),
            "meta_test_datasets": int((~self.train).sum()),
            "pipelines": int(len(self.pipeline_ids)),
            "observed": self.observed_count(),
            "density": round(self.density(), 4),
            "build_cpu_hours": round(self.cpu_hours, 2),
            "catalogue_version": self.catalogue_version,
        }


def failures_as_worst(scores: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Copy of ``scores`` where failed/timed-out/out-of-memory entries get their row's minimum."""
    out = np.array(scores, dtype=float)
    failed = status >= STATUS_CODES["failed"]
    with np.errstate(all="ignore"):
        row_min = np.nanmin(np.where(np.isfinite(out), out, np.nan), axis=1, initial=np.inf)
    row_min = np.where(np.isfinite(row_min), row_min, 0.0)
    out[failed] = np.broadcast_to(row_min[:, None], out.shape)[failed]
    return out


def empty_knowledge(catalogue: Catalogue) -> Knowledge:
    """Knowledge with no datasets (what a fresh build starts from)."""
    n = len(catalogue)
    return Knowledge(catalogue.task_type, catalogue.version, np.array([], dtype=str), np.array([], dtype=str),
                     np.array([], dtype=str), np.array(catalogue.ids), np.empty((0, n), np.float32),
                     np.empty((0, n), np.int8), np.empty((0, n), np.float32),
                     np.empty((0, len(META_FEATURE_NAMES))), np.array(META_FEATURE_NAMES), 0.0)


def knowledge_from_store(store: KnowledgeStore, catalogue: Catalogue, origin: str | None = None) -> Knowledge:
    """Assemble the performance matrix of ``catalogue``'s task type from ``store``."""
    records = [r for r in store.datasets(catalogue.task_type, origin) if r["meta_features"]]
    column = {pid: j for j, pid in enumerate(catalogue.ids)}
    row = {r["name"]: i for i, r in enumerate(records)}
    shape = (len(records), len(catalogue))
    scores = np.full(shape, np.nan, np.float32)
    status = np.zeros(shape, np.int8)
    wall = np.full(shape, np.nan, np.float32)
    cpu_seconds = 0.0
    for ev in store.evaluations():
        i, j = row.get(ev["dataset"]), column.get(ev["pipeline_id"])
        if i is None or j is None or ev["status"] == SKIPPED:
            continue
        status[i, j] = STATUS_CODES.get(ev["status"], STATUS_CODES["failed"])
        if ev["status"] == "ok" and ev["score"] is not None:
            scores[i, j] = ev["score"]
        if ev["wall_time"] is not None:
            wall[i, j] = ev["wall_time"]
            cpu_seconds += ev["wall_time"]
    meta = np.array([meta_feature_vector(r["meta_features"]) for r in records],
                    dtype=float).reshape(len(records), len(META_FEATURE_NAMES))
    return Knowledge(
        catalogue.task_type, catalogue.version,
        np.array([r["name"] for r in records], dtype=str), np.array([r["task"] for r in records], dtype=str),
        np.array([r["split"] or "train" for r in records], dtype=str), np.array(catalogue.ids),
        scores, status, wall, meta, np.array(META_FEATURE_NAMES), cpu_seconds / 3600.0,
    )


def save_knowledge(knowledge: Knowledge, path, measured_rows: np.ndarray | None = None) -> None:
    """Write ``knowledge`` as a compressed .npz file (atomically: readers see the old or the new).

    ``measured_rows`` (datasets x pipelines), when given, is stored too: the rows each score was measured on.
    """
    extra = {} if measured_rows is None else {"measured_rows": np.asarray(measured_rows, dtype=np.int32)}
    save_npz_atomically(
        path, task_type=knowledge.task_type, catalogue_version=knowledge.catalogue_version,
        datasets=knowledge.datasets, tasks=knowledge.tasks, splits=knowledge.splits,
        pipeline_ids=knowledge.pipeline_ids, scores=knowledge.scores, status=knowledge.status,
        wall_times=knowledge.wall_times, meta_features=knowledge.meta_features,
        meta_feature_names=knowledge.meta_feature_names, cpu_hours=knowledge.cpu_hours, **extra,
    )


def align_knowledge(knowledge: Knowledge, catalogue: Catalogue) -> Knowledge:
    """``knowledge`` with one column per pipeline of ``catalogue``, in its order, matched by pipeline id.

    Pipelines the knowledge has not seen (a family the catalogue added since the build) get
    unobserved columns (NaN scores and times); columns of pipelines no longer in the catalogue
    are dropped. Returns ``knowledge`` itself when its columns already are the catalogue's.
    """
    ids = np.asarray(knowledge.pipeline_ids).astype(str)
    if ids.tolist() == catalogue.ids:
        return knowledge
    column = {pid: j for j, pid in enumerate(ids)}
    source = np.array([column.get(pid, -1) for pid in catalogue.ids], dtype=np.intp)
    dropped = len(ids) - int((source >= 0).sum())
    if dropped:
        logger.warning("%d %s knowledge columns are not in catalogue %s; ignored", dropped, knowledge.task_type,
                       catalogue.version)
    known = source >= 0
    n = len(knowledge.datasets)

    def take(matrix, fill, dtype):
        out = np.full((n, len(catalogue)), fill, dtype=dtype)
        out[:, known] = np.asarray(matrix)[:, source[known]]
        return out

    return replace(knowledge, pipeline_ids=np.array(catalogue.ids),
                   scores=take(knowledge.scores, np.nan, np.float32),
                   status=take(knowledge.status, STATUS_CODES["unobserved"], np.int8),
                   wall_times=take(knowledge.wall_times, np.nan, np.float32))


def load_knowledge(task_type: str, path=None, align: bool = True) -> Knowledge:
    """The shipped knowledge of ``task_type`` (or the file at ``path``); empty if none was built.

    With ``align`` (the default) its columns are the current catalogue's (:func:`align_knowledge`),
    so column ``j`` is catalogue pipeline ``j`` even when the catalogue has grown since the build;
    ``align=False`` returns the file's columns as they are.
    """
    path = Path(path) if path is not None else data_dir() / f"{task_type}.npz"
    if not path.exists():
        return empty_knowledge(load_catalogue(task_type))
    with np.load(path, allow_pickle=False) as data:
        fields = {k: data[k] for k in data.files}
    knowledge = Knowledge(
        str(fields["task_type"]), str(fields["catalogue_version"]), fields["datasets"], fields["tasks"],
        fields["splits"], fields["pipeline_ids"], fields["scores"], fields["status"], fields["wall_times"],
        fields["meta_features"], fields["meta_feature_names"], float(fields["cpu_hours"]),
    )
    return align_knowledge(knowledge, load_catalogue(task_type)) if align else knowledge
