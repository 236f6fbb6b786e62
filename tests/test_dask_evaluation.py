"""Evaluations on a real Dask cluster (distributed.LocalCluster) match local ones."""
import dask
import distributed
import numpy as np
import pytest
from faulty_estimators import CrashingClassifier
from sklearn.datasets import load_breast_cancer

from automl_engine.catalogue import build_pipeline, load_catalogue
from automl_engine.evaluation import FAILED, OK, EvaluationTask, Evaluator, Limits, make_folds


@pytest.fixture(scope="module")
def cluster():
    with dask.config.set({"distributed.worker.daemon": False}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            yield cluster


def _run(evaluator, tasks):
    for task in tasks:
        evaluator.submit(task)
    results = {}
    while evaluator.in_flight:
        r = evaluator.next_result(timeout=120)
        results[r.key] = r
    return results


@pytest.mark.slow
def test_dask_and_local_give_identical_results_and_contain_failures(cluster):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    folds = make_folds(y, "binary", 3, 0)
    catalogue = load_catalogue("classification")
    types = {c: "numeric" for c in X}
    tasks = [EvaluationTask(catalogue[i].id, build_pipeline(catalogue[i], types), X, y.to_numpy(), "binary",
                            "balanced_accuracy", folds) for i in (0, 300, 700)]
    tasks.append(EvaluationTask("crash", CrashingClassifier(), X, y.to_numpy(), "binary", "balanced_accuracy", folds))
    with Evaluator(n_jobs=2, limits=Limits(timeout=120)) as local:
        local_results = _run(local, tasks)
    with Evaluator(n_jobs=2, dask_address=cluster.scheduler_address, limits=Limits(timeout=120)) as remote:
        remote_results = _run(remote, tasks)
    assert local_results["crash"].status == remote_results["crash"].status == FAILED
    for task in tasks[:3]:
        assert remote_results[task.key].status == OK
        assert remote_results[task.key].fold_scores == local_results[task.key].fold_scores
        assert np.allclose(remote_results[task.key].oof, local_results[task.key].oof)


def test_a_daemonic_dask_worker_gets_a_sentence_saying_how_to_start_it():
    import multiprocessing

    from automl_engine.errors import WorkerStartError
    from automl_engine.evaluation.isolation import run_isolated

    def evaluate_in_a_daemon(queue):
        try:
            run_isolated(EvaluationTask("k", None, None, None, "binary", "balanced_accuracy", []), 10)
        except WorkerStartError as exc:
            queue.put(str(exc))

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    daemon = ctx.Process(target=evaluate_in_a_daemon, args=(queue,), daemon=True)
    daemon.start()
    daemon.join(120)
    assert "DASK_DISTRIBUTED__WORKER__DAEMON=False" in queue.get(timeout=5)
