"""A tiny knowledge folder (fake corpus, fitted recommender) for app tests that need the PMF path.

The shipped knowledge may not be built yet on a fresh checkout; the app reads
``$AUTOML_KNOWLEDGE_DIR`` (see ``automl_engine.service.jobs.JobManager``), so tests point it here.
Fitting the small recommender takes a few seconds, once per test session.
"""
from pathlib import Path

import numpy as np

from automl_engine.catalogue import load_catalogue
from automl_engine.knowledge.artifact import Knowledge, save_knowledge
from automl_engine.knowledge.metafeatures import META_FEATURE_NAMES
from automl_engine.knowledge.recommender_io import fit_recommender, recommender_path, save_recommender

N_DATASETS = 6


def build_tiny_knowledge(folder: Path, task_type: str = "classification", density: float = 0.04) -> Path:
    """Write ``<task_type>.npz`` and its fitted recommender into ``folder``; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    catalogue = load_catalogue(task_type)
    rng = np.random.default_rng(0)
    n = len(catalogue)
    observed = rng.random((N_DATASETS, n)) < density
    scores = np.where(observed, rng.uniform(0.5, 1.0, (N_DATASETS, n)), np.nan).astype(np.float32)
    knowledge = Knowledge(
        task_type, catalogue.version, np.array([f"corpus_set_{i}" for i in range(N_DATASETS)]),
        np.array(["multiclass"] * N_DATASETS), np.array(["train"] * N_DATASETS), np.array(catalogue.ids),
        scores, observed.astype(np.int8), np.where(observed, 0.5, np.nan).astype(np.float32),
        rng.normal(size=(N_DATASETS, len(META_FEATURE_NAMES))), np.array(META_FEATURE_NAMES), 0.0)
    save_knowledge(knowledge, folder / f"{task_type}.npz")
    save_recommender(fit_recommender(knowledge, n_latent=3, n_iter=10), recommender_path(task_type, folder))
    return folder
