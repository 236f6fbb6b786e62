"""The fitted recommender that ships with the knowledge: fit once offline, load in milliseconds."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from automl_engine.catalogue import family_kinds, load_catalogue
from automl_engine.catalogue.descriptors import pipeline_descriptors
from automl_engine.knowledge.artifact import Knowledge, data_dir, load_knowledge
from automl_engine.knowledge.fidelity import SECOND_FIDELITY_ROWS, combine_fidelities, second_fidelity_path
from automl_engine.recommender import PMFRecommender
from automl_engine.recommender.aligned import CatalogueAlignedRecommender
from automl_engine.store.paths import save_npz_atomically

logger = logging.getLogger(__name__)

MIN_TRAIN_DATASETS = 3
SHIPPED_PARAMS = {
    "classification": {"n_iter": 300, "n_warm_start": 0, "warm_start_balance_kinds": False, "neighbour_prior": True},
    "regression": {"n_iter": 0, "n_warm_start": 5, "warm_start_balance_kinds": True, "neighbour_prior": False},
}
"""PMFRecommender settings of the shipped recommender per task type, each chosen on the 5-fold
replay of the meta-train rows by mean regret at 10 evaluations (the figures are in
docs/BENCHMARKS.md, section "Search quality on the stored matrix"):

* ``n_iter`` (GP-LVM refinement steps after the PCA initialisation): on the 100 regression
  datasets the refinement did not help (none did better than 30 steps, which did better than 300),
  so the regression recommender keeps the PCA embeddings; classification keeps 300 steps;
* ``n_warm_start``: in classification the neighbours' picks beyond the third did worse than EI's;
  in regression five did best;
* ``warm_start_balance_kinds`` (kinds take turns in the warm start): better in regression; worse
  in classification, at 3 and 5 evaluations too, so it is off there;
* ``neighbour_prior`` (the nearest datasets set the GP prior mean; with ``n_warm_start=0`` they
  steer the first pick through it instead of through fixed picks): better than 3 fixed picks in
  classification; in regression worse than the five fixed picks, which stay.
"""


SHIPPED_FIDELITY_USE = {"classification": "first", "regression": "replace"}
"""How the recommender for a **large** table (at least ``LARGE_TABLE_ROWS`` rows) uses the build's second fidelity
(5,000-row scores of the large corpus tables; :data:`automl_engine.knowledge.fidelity.FIDELITY_USES`), per task
type; a smaller table's recommender is fitted on the first fidelity alone. Chosen on the replays of
benchmarks/fidelity_replay.py (truth: 5,000-row scores) and benchmarks/surrogate_regret.py (truth: 800-row
scores), docs/KNOWLEDGE.md, 2026-12-08: in regression ``replace`` lowers the large tables' regret (most at the
first pick), and it would not help the small tables; in classification no use beats ``first``."""
LARGE_TABLE_ROWS = SECOND_FIDELITY_ROWS
"""Tables with at least this many rows are served by the recommender fitted with the second fidelity."""


def is_large_table(n_rows: int | None) -> bool:
    """Whether a table of ``n_rows`` rows is served by the recommender fitted with the second fidelity."""
    return n_rows is not None and n_rows >= LARGE_TABLE_ROWS


def training_knowledge(task_type: str, folder=None, fidelity_use: str = "first") -> Knowledge:
    """The knowledge a recommender is fitted on: the first fidelity merged with the second as ``fidelity_use``
    says (the first alone where the folder has no second-fidelity file)."""
    folder = Path(folder or data_dir())
    first = load_knowledge(task_type, folder / f"{task_type}.npz")
    second_path = second_fidelity_path(folder, task_type)
    if fidelity_use == "first" or not second_path.exists():
        return first
    return combine_fidelities(first, load_knowledge(task_type, second_path), fidelity_use)


def recommender_path(task_type: str, folder=None, large: bool = False) -> Path:
    """The shipped recommender file: for tables of any size, or (``large``) the one fitted with the second
    fidelity for tables of at least ``LARGE_TABLE_ROWS`` rows (only where the task type's use is not "first")."""
    suffix = f"_at_{SECOND_FIDELITY_ROWS}_rows" if large else ""
    return Path(folder or data_dir()) / f"{task_type}_recommender{suffix}.npz"


def fit_recommender(knowledge: Knowledge, n_latent: int = 20, n_iter: int | None = None, random_state: int = 0,
                    train_only: bool = True, rows: np.ndarray | None = None,
                    recommender_class: type = PMFRecommender, **params) -> PMFRecommender:
    """Fit a PMFRecommender as shipped on the (meta-train) rows of ``knowledge``; meta-test rows are never used.

    ``rows`` (a boolean mask over the datasets) fits on those rows instead (benchmarks hold some
    out); ``n_iter`` and ``params`` (further PMFRecommender parameters) override the task type's
    :data:`SHIPPED_PARAMS`; ``recommender_class`` (a subclass, e.g. a research variant of
    benchmarks/recommender_variants.py) is fitted instead of PMFRecommender.
    """
    shipped = SHIPPED_PARAMS[knowledge.task_type]
    params = {**shipped, **params, "n_iter": shipped["n_iter"] if n_iter is None else n_iter}
    if rows is None:
        rows = knowledge.train if train_only else np.ones(len(knowledge.datasets), bool)
    specs = knowledge_pipeline_specs(knowledge)
    kinds = family_kinds(knowledge.task_type)
    return recommender_class(n_latent=n_latent, random_state=random_state, **params).fit(
        knowledge.training_matrix()[rows], meta_features=knowledge.meta_features[rows],
        pipeline_features=pipeline_descriptors(specs), pipeline_groups=[spec.family for spec in specs],
        pipeline_kinds=[kinds[spec.family] for spec in specs])


def knowledge_pipeline_specs(knowledge: Knowledge) -> list:
    """Catalogue specs of the knowledge's pipelines, in its column order."""
    catalogue = load_catalogue(knowledge.task_type)
    return [catalogue[catalogue.index_of(pid)] for pid in knowledge.pipeline_ids]


def save_recommender(recommender: PMFRecommender, path) -> None:
    save_npz_atomically(path, **recommender.get_state())


def align_recommender(recommender, pipeline_ids, catalogue):
    """``recommender`` as is when its columns are ``catalogue``'s pipelines, else a
    :class:`CatalogueAlignedRecommender` mapping them by id."""
    if [str(p) for p in pipeline_ids] == catalogue.ids:
        return recommender
    return CatalogueAlignedRecommender(recommender, pipeline_ids, catalogue.ids)


def load_recommender(task_type: str, folder=None, n_rows: int | None = None):
    """The shipped recommender of ``task_type`` over the current catalogue's indices; if none was
    shipped, one fitted now on the shipped knowledge; None when there is too little knowledge to fit one.

    A table of ``n_rows`` >= ``LARGE_TABLE_ROWS`` gets the recommender fitted with the second fidelity
    (:data:`SHIPPED_FIDELITY_USE`) when one was shipped. A recommender fitted before the catalogue grew keeps
    working: it is wrapped in a :class:`CatalogueAlignedRecommender` (its columns matched to the catalogue by
    pipeline id).
    """
    knowledge_path = Path(folder) / f"{task_type}.npz" if folder else None
    catalogue = load_catalogue(task_type)
    large = recommender_path(task_type, folder, large=True)
    paths = ([large] if is_large_table(n_rows) and large.exists() else []) + [recommender_path(task_type, folder)]
    where = (f"shipped {task_type} knowledge" if folder is None or Path(folder) == data_dir()
             else f"{task_type} knowledge in {folder}")
    for path in paths:
        if not path.exists():
            continue
        with np.load(path, allow_pickle=False) as data:
            state = {k: data[k] for k in data.files}
        recommender = PMFRecommender.from_state(state)
        columns = load_knowledge(task_type, knowledge_path, align=False).pipeline_ids
        if recommender.embeddings_.shape[0] == len(columns):
            recommender = align_recommender(recommender, columns, catalogue)
            recommender.source = where + (f", with the scores measured at {SECOND_FIDELITY_ROWS:,} rows"
                                          if path == large else "")
            return recommender
        logger.warning("the shipped %s recommender %s does not match its knowledge", task_type, path.name)
    knowledge = training_knowledge(task_type, folder)
    if int(knowledge.train.sum()) < MIN_TRAIN_DATASETS:
        return None
    recommender = fit_recommender(knowledge, n_iter=min(100, SHIPPED_PARAMS[task_type]["n_iter"]))
    recommender.source = f"{where} (recommender fitted on first use)"
    return recommender


def read_recommender(path) -> PMFRecommender:
    """A recommender saved by :func:`save_recommender` (``automl knowledge fit`` writes them)."""
    with np.load(Path(path), allow_pickle=False) as data:
        return PMFRecommender.from_state({k: data[k] for k in data.files})
