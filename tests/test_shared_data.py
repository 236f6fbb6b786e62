"""The table travels once per search: tasks carry handles to memory-mapped files, not the data."""
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from tables import MIXED_TYPES, mixed_frame

from automl_engine import AutoML
from automl_engine.catalogue import build_pipeline, load_catalogue
from automl_engine.evaluation import EvaluationTask, Evaluator, Limits, evaluate, make_folds
from automl_engine.evaluation import executor as executor_module
from automl_engine.evaluation.shared_data import SharedData, SharedFrame, materialize
from automl_engine.recommender.random import RandomRecommender
from automl_engine.search import Budget, Problem, Search

IRIS = load_iris(as_frame=True)


def test_a_task_over_shared_data_stays_small_whatever_the_rows():
    rng = np.random.default_rng(0)
    sizes = []
    for n in (1_000, 200_000):
        X = pd.DataFrame(rng.normal(size=(n, 20)), columns=[f"x{i}" for i in range(20)])
        y = rng.integers(0, 2, n)
        with SharedData(X, y) as shared:
            task = EvaluationTask("k", None, shared.X, shared.y, "binary", "balanced_accuracy", [])
            sizes.append(len(pickle.dumps(task)))
            assert materialize(shared.X).shape == (n, 20)
    assert max(sizes) < 1_000 and abs(sizes[0] - sizes[1]) < 8  # a few hundred bytes for 1,000 or 200,000 rows


def test_evaluating_shared_data_gives_the_same_scores_as_inline_data():
    X = mixed_frame()
    y = np.where(X["num_b"] + (X["colour"] == "red") > 1.0, "yes", "no")
    catalogue = load_catalogue("classification")
    spec = next(p for p in catalogue.pipelines if p.family == "random_forest")
    folds = make_folds(y, "binary", 3, 0)

    def task(X_, y_):
        return EvaluationTask("k", build_pipeline(spec, MIXED_TYPES, random_state=0), X_, y_, "binary",
                              "balanced_accuracy", folds, classes=np.unique(y))

    with SharedData(X, y) as shared:
        assert isinstance(shared.X, SharedFrame)
        a, b = evaluate(task(X, y)), evaluate(task(shared.X, shared.y))
    assert a.ok and a.fold_scores == b.fold_scores
    np.testing.assert_array_equal(a.oof, b.oof)


def test_a_search_writes_the_table_once_and_its_tasks_carry_handles(monkeypatch):
    written = []
    real = executor_module.SharedData

    def counting(X, y, *args, **kwargs):
        written.append(len(X))
        return real(X, y, *args, **kwargs)

    monkeypatch.setattr(executor_module, "SharedData", counting)
    y = IRIS.target.to_numpy()
    problem = Problem(IRIS.data, y, "multiclass", "balanced_accuracy", {c: "numeric" for c in IRIS.data.columns},
                      make_folds(y, "multiclass", 3, 0), np.unique(y))
    catalogue = load_catalogue("classification")
    with Evaluator(n_jobs=2, limits=Limits(timeout=60)) as evaluator:
        search = Search(problem, catalogue, RandomRecommender(len(catalogue), 0), evaluator, Budget(max_evals=4))
        trials = search.ask(1)
        assert isinstance(trials[0].task.X, SharedFrame)
        search.tell(trials[0], evaluate(trials[0].task))
        history = search.run()
        folder = evaluator._shared.folder
        assert folder.exists()
    assert written == [150] and len(history) == 4 and all(h["status"] == "ok" for h in history)
    assert not folder.exists()  # released with the evaluator


@pytest.mark.slow
def test_a_search_on_a_local_dask_cluster_gives_the_same_leaderboard():
    import dask
    from distributed import LocalCluster

    settings = dict(max_evals=4, strategy="random", random_state=0, n_folds=3, ensemble=False, n_jobs=2)
    local = AutoML(**settings).fit(IRIS.data, IRIS.target)
    with dask.config.set({"distributed.worker.daemon": False}):  # workers start evaluation children
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            remote = AutoML(**settings, dask_address=cluster.scheduler_address).fit(IRIS.data, IRIS.target)
    columns = ["pipeline_id", "score"]
    pd.testing.assert_frame_equal(local.leaderboard_[columns], remote.leaderboard_[columns])


def test_every_core_by_default():
    from automl_engine.evaluation import available_cores, resolve_n_jobs

    assert AutoML().n_jobs == -1 and resolve_n_jobs(-1) == resolve_n_jobs(None) == available_cores() >= 1
    with Evaluator() as default, Evaluator(n_jobs=1) as one:
        assert default.n_jobs == available_cores() and one.n_jobs == 1
