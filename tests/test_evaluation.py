import numpy as np
import pytest
from faulty_estimators import CrashingClassifier, HangingClassifier, MemoryHungryClassifier, SegfaultingClassifier
from sklearn.datasets import load_breast_cancer, load_diabetes
from tables import MIXED_TYPES

from automl_engine.catalogue import build_pipeline, load_catalogue
from automl_engine.evaluation import (
    FAILED,
    MEMORY,
    OK,
    TIMEOUT,
    EvaluationTask,
    Evaluator,
    Limits,
    evaluate,
    get_metric,
    make_folds,
    run_isolated,
)


def _task(pipeline, X, y, task="binary", metric="balanced_accuracy", key="k", n_splits=3):
    return EvaluationTask(key, pipeline, X, np.asarray(y), task, metric, make_folds(y, task, n_splits, 0))


@pytest.mark.parametrize("n_rows, expected", [(500, 10), (5000, 5), (25000, 1)])
def test_fold_count_follows_azure_rules(n_rows, expected):
    y = np.arange(n_rows) % 2
    folds = make_folds(y, "binary")
    assert len(folds) == expected
    if expected == 1:
        assert len(folds[0][1]) == pytest.approx(0.1 * n_rows, rel=0.01)


def test_folds_are_stratified_and_cover_every_row():
    y = np.array([0] * 90 + [1] * 10)
    folds = make_folds(y, "binary", n_splits=5, random_state=0)
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(100))
    assert all((y[test] == 1).sum() == 2 for _, test in folds)


def test_losses_are_negated_so_higher_is_better():
    y = np.array([1.0, 2.0, 3.0])
    assert get_metric("rmse", "regression").score(y, y + 1) == pytest.approx(-1.0)
    assert get_metric("mae", "regression").score(y, y) == 0.0
    with pytest.raises(ValueError, match="does not apply"):
        get_metric("r2", "binary")


def test_evaluate_reports_scores_times_and_out_of_fold_predictions(mixed_classification):
    X, y = mixed_classification
    spec = load_catalogue("classification")[0]
    result = evaluate(_task(build_pipeline(spec, MIXED_TYPES), X, y))
    assert result.status == OK and len(result.fold_scores) == 3
    assert result.score == pytest.approx(np.mean(result.fold_scores))
    assert result.fit_time > 0 and result.oof.shape == (len(X), 2)
    assert np.allclose(result.oof.sum(axis=1), 1.0)


def test_same_seed_gives_same_scores(mixed_regression):
    X, y = mixed_regression
    spec = next(s for s in load_catalogue("regression").pipelines if s.family == "random_forest")
    a = evaluate(_task(build_pipeline(spec, MIXED_TYPES, random_state=3), X, y, "regression", "r2"))
    b = evaluate(_task(build_pipeline(spec, MIXED_TYPES, random_state=3), X, y, "regression", "r2"))
    assert a.fold_scores == b.fold_scores


def test_a_crashing_pipeline_is_recorded_not_raised(mixed_classification):
    X, y = mixed_classification
    result = run_isolated(_task(CrashingClassifier(), X, y), timeout=60)
    assert result.status == FAILED and "deliberate crash" in result.error


def test_a_hanging_pipeline_times_out():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    result = run_isolated(_task(HangingClassifier(), X, y), timeout=2)
    assert result.status == TIMEOUT and result.error == "the pipeline did not finish within 2 s"


def test_a_memory_hungry_pipeline_hits_the_cap():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    result = run_isolated(_task(MemoryHungryClassifier(), X, y), timeout=60, memory_mb=1024)
    assert result.status == MEMORY


def test_a_killed_worker_is_a_failed_evaluation():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    result = run_isolated(_task(SegfaultingClassifier(), X, y), timeout=60)
    assert result.status == FAILED and "killed (signal 9)" in result.error


def test_evaluator_goes_on_after_faults_and_returns_every_result():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    good = build_pipeline(load_catalogue("classification")[0], {c: "numeric" for c in X})
    pipelines = {"good": good, "crash": CrashingClassifier(), "hang": HangingClassifier(), "good2": good}
    with Evaluator(n_jobs=2, limits=Limits(timeout=3, memory_mb=2048)) as evaluator:
        for key, pipeline in pipelines.items():
            evaluator.submit(_task(pipeline, X, y, key=key))
        results = {}
        while evaluator.in_flight:
            r = evaluator.next_result(timeout=60)
            results[r.key] = r.status
    assert results == {"good": OK, "crash": FAILED, "hang": TIMEOUT, "good2": OK}


def test_regression_evaluation_in_a_child_matches_in_process():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    spec = next(s for s in load_catalogue("regression").pipelines if s.family == "lightgbm")
    task = _task(build_pipeline(spec, {c: "numeric" for c in X}), X, y, "regression", "r2")
    assert run_isolated(task).fold_scores == pytest.approx(evaluate(task).fold_scores)


def test_the_timeout_counts_from_the_call_starting_the_worker_included(monkeypatch):
    import time
    from multiprocessing.process import BaseProcess

    import automl_engine.evaluation.isolation as isolation
    from automl_engine.evaluation import launcher

    isolation.warm_up().join(300)

    def slow_start(process):
        time.sleep(3.0)  # a process server still importing its libraries on a loaded machine
        BaseProcess.start(process)

    monkeypatch.setattr(launcher._NoMainProcess, "start", slow_start)
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    good = build_pipeline(load_catalogue("classification")[0], {c: "numeric" for c in X})
    # the start used the whole 3 s: the pipeline, which would finish in under a second, gets no more time
    result = isolation.run_isolated(_task(good, X, y), timeout=3.0)
    assert result.status == TIMEOUT


def test_warm_up_starts_the_process_server_in_the_background():
    import subprocess
    import sys

    code = ("from multiprocessing import forkserver\n"
            "from automl_engine.evaluation.isolation import warm_up\n"
            "assert forkserver._forkserver._forkserver_pid is None\n"
            "warm_up().join(300)\n"
            "print(forkserver._forkserver._forkserver_pid is not None)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=320)
    assert out.stdout.strip() == "True", out.stderr
