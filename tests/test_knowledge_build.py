"""The offline knowledge build: identical locally and on Dask, resumable after a kill, exported and loadable."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import dask
import distributed
import numpy as np
import pandas as pd
import pytest

from automl_engine.evaluation import Evaluator, Limits
from automl_engine.knowledge.artifact import knowledge_from_store, load_knowledge, save_knowledge
from automl_engine.knowledge.build import BuildSettings, build_knowledge, planned_indices
from automl_engine.knowledge.corpus import load_corpus_table
from automl_engine.knowledge.store import KnowledgeStore
from automl_engine.catalogue import load_catalogue

TINY = BuildSettings(max_rows=120, n_folds=3, density=0.02, n_anchors=13, seed=0)


def _three_tasks():
    table = load_corpus_table()
    return table[table["name"].isin(["sklearn/iris:target", "sklearn/wine:target", "sklearn/diabetes:target"])]


def _scores(store: KnowledgeStore) -> dict:
    return {(e["dataset"], e["pipeline_id"]): (e["status"], e["score"]) for e in store.evaluations()}


def test_tiny_build_is_identical_locally_and_on_a_dask_cluster(tmp_path):
    table = _three_tasks()
    assert len(table) == 3
    local = KnowledgeStore(tmp_path / "local.sqlite")
    with Evaluator(n_jobs=2, limits=Limits(timeout=120)) as evaluator:
        ran = build_knowledge(local, table, evaluator, TINY)
    assert ran == sum(len(planned_indices(load_catalogue("regression" if t == "regression" else "classification"),
                                          n, TINY)) for n, t in zip(table["name"], table["task"]))
    with dask.config.set({"distributed.worker.daemon": False}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
            remote = KnowledgeStore(tmp_path / "dask.sqlite")
            with Evaluator(n_jobs=2, dask_address=cluster.scheduler_address, limits=Limits(timeout=120)) as ev:
                build_knowledge(remote, table, ev, TINY)
    assert _scores(local) == _scores(remote)
    assert {d["name"]: d["meta_features"] for d in local.datasets()} == \
           {d["name"]: d["meta_features"] for d in remote.datasets()}


def test_export_round_trip_and_failures_counted_as_worst(tmp_path):
    table = _three_tasks()
    store = KnowledgeStore(tmp_path / "s.sqlite")
    with Evaluator(n_jobs=2, limits=Limits(timeout=120)) as evaluator:
        build_knowledge(store, table[table["task"] != "regression"], evaluator, TINY)
    catalogue = load_catalogue("classification")
    knowledge = knowledge_from_store(store, catalogue)
    save_knowledge(knowledge, tmp_path / "classification.npz")
    loaded = load_knowledge("classification", tmp_path / "classification.npz")
    assert loaded.summary() == knowledge.summary()
    assert np.array_equal(np.isnan(loaded.scores), np.isnan(knowledge.scores))
    assert loaded.scores.shape == (2, len(catalogue)) and 0.015 < loaded.density() < 0.03


def test_a_killed_build_resumes_without_losing_finished_evaluations(tmp_path):
    store_path, out = tmp_path / "build.sqlite", tmp_path / "artifact"
    command = [sys.executable, "-m", "automl_engine.cli", "knowledge", "build", "--store", str(store_path),
               "--out", str(out), "--task-type", "classification", "--limit", "1", "--density", "0.04",
               "--max-rows", "120", "--n-jobs", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    done_before = 0
    while time.time() < deadline:
        if store_path.exists():
            with sqlite3.connect(store_path) as db:
                try:
                    done_before = db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
                except sqlite3.OperationalError:
                    done_before = 0
            if done_before >= 5:
                break
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert done_before >= 5, "the build made progress before it was killed"
    before = _scores(KnowledgeStore(store_path))
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr
    after = _scores(KnowledgeStore(store_path))
    assert all(after[key] == value for key, value in before.items()), "finished evaluations are kept as they were"
    plan = planned_indices(load_catalogue("classification"), next(iter(after))[0], BuildSettings(density=0.04))
    assert len(after) == len(plan) > len(before)
    assert load_knowledge("classification", out / "classification.npz").observed_count() == len(plan)


def test_a_build_of_part_of_the_corpus_keeps_every_shipped_dataset_in_the_export(tmp_path):
    """A fresh store, building only some rows (here the first classification meta-test row), must
    not export an artifact that forgets the shipped datasets it did not build."""
    import shutil

    from automl_engine.knowledge.artifact import data_dir

    out = tmp_path / "artifact"
    out.mkdir()
    for task_type in ("classification", "regression"):
        shutil.copy(data_dir() / f"{task_type}.npz", out / f"{task_type}.npz")
    shipped = {t: load_knowledge(t, out / f"{t}.npz") for t in ("classification", "regression")}
    command = [sys.executable, "-m", "automl_engine.cli", "knowledge", "build", "--store", str(tmp_path / "s.sqlite"),
               "--out", str(out), "--task-type", "classification", "--split", "test", "--limit", "1",
               "--density", "0.01", "--max-rows", "120", "--n-jobs", "1"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr
    for task_type, before in shipped.items():
        after = load_knowledge(task_type, out / f"{task_type}.npz")
        assert set(before.datasets) <= set(after.datasets), f"{task_type}: shipped datasets dropped"
        assert int(after.train.sum()) == int(before.train.sum()) > 0
        assert after.observed_count() >= before.observed_count()
