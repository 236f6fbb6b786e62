"""The time budget covers the finish: the search keeps back predicted refit time, the ensemble takes what fits."""
import numpy as np
import pytest
from sklearn.datasets import load_iris

from automl_engine import AutoML
from automl_engine.catalogue import load_catalogue
from automl_engine.evaluation import Evaluator, Limits, make_folds
from automl_engine.recommender.random import RandomRecommender
from automl_engine.search import Budget, Problem, Search, finish_time
from automl_engine.search.finish_time import affordable_members, finish_reserve, refit_seconds

IRIS = load_iris(as_frame=True)
FOLDS_80 = [(np.arange(80), np.arange(80, 100))] * 5  # each fold trains on 80 of 100 rows


def _record(score, fit_time, status="ok"):
    return {"score": score, "fit_time": fit_time, "status": status}


def test_refit_time_scales_the_fold_fit_time_to_all_rows_with_a_safety_factor():
    assert refit_seconds(_record(0.9, 2.0), 100, FOLDS_80) == finish_time.REFIT_SAFETY * 2.0 * 100 / 80
    assert refit_seconds(_record(0.9, float("nan")), 100, FOLDS_80) == 0.0
    assert refit_seconds(_record(0.9, None), 100, FOLDS_80) == 0.0


def test_reserve_counts_the_best_pipelines_only_and_more_of_them_for_an_ensemble():
    history = [_record(0.5, 100.0), _record(0.9, 1.0), _record(0.8, 2.0), _record(0.7, 4.0),
               _record(float("nan"), 50.0, status="timeout")]
    one = finish_time.REFIT_SAFETY * 100 / 80
    assert finish_reserve(history, 100, FOLDS_80, ensemble=False) == 1.0 * one
    assert finish_reserve(history, 100, FOLDS_80, ensemble=True) == (1.0 + 2.0 + 4.0) * one
    assert finish_reserve([], 100, FOLDS_80, ensemble=True) == 0.0


def test_reserve_keeps_back_a_share_of_the_time_budget_when_the_refits_are_cheap():
    cheap = [_record(0.9, 0.01), _record(0.8, 0.02)]
    floor = finish_time.RESERVE_FLOOR_FRACTION * 30.0
    assert finish_reserve(cheap, 100, FOLDS_80, ensemble=True, time_budget=30.0) == floor
    assert finish_reserve([], 100, FOLDS_80, ensemble=True, time_budget=30.0) == floor
    slow = [_record(0.9, 100.0)]
    assert finish_reserve(slow, 100, FOLDS_80, ensemble=False, time_budget=30.0) == finish_time.REFIT_SAFETY * 125.0


def test_affordable_members_keep_the_refitted_best_free_and_skip_what_does_not_fit():
    best, slow, cheap, medium = _record(0.9, 50.0), _record(0.8, 40.0), _record(0.7, 1.0), _record(0.6, 2.0)
    one = finish_time.REFIT_SAFETY * 100 / 80
    kept = affordable_members([best, slow, cheap, medium], 100, FOLDS_80, seconds_left=3.5 * one, fitted=[best])
    assert kept == [best, cheap, medium]
    assert affordable_members([best, slow], 100, FOLDS_80, seconds_left=0.0, fitted=[best]) == [best]
    # past the deadline
    assert affordable_members([slow, best], 100, FOLDS_80, seconds_left=-1.0, fitted=[best]) == [best]
    assert affordable_members([best, slow], 100, FOLDS_80, seconds_left=float("inf"), fitted=[best]) == [best, slow]


def test_search_starts_nothing_once_the_reserve_uses_up_the_time_left():
    X, y = IRIS.data, IRIS.target.to_numpy()
    problem = Problem(X, y, "multiclass", "balanced_accuracy", {c: "numeric" for c in X},
                      make_folds(y, "multiclass", 3, 0), np.unique(y), None)
    catalogue = load_catalogue("classification")
    with Evaluator(n_jobs=1, limits=Limits(timeout=60)) as evaluator:
        search = Search(problem, catalogue, RandomRecommender(len(catalogue), 0), evaluator,
                        Budget(seconds=600.0, max_evals=5), eval_timeout=60,
                        reserve=lambda history: 1e6 if history else 0.0)
        history = search.run()
    assert len(history) == 1  # the first evaluation ran; after it, the finish needs more than is left


@pytest.mark.slow
def test_automl_refit_predictions_too_long_end_the_search_and_drop_ensemble_members(monkeypatch):
    """Refits predicted to take forever: two evaluations in flight finish, then nothing else starts.

    The best one is refitted (a model is owed); the other cannot join an ensemble.
    """
    monkeypatch.setattr(finish_time, "REFIT_SAFETY", 1e9)
    m = AutoML(time_budget=600, max_evals=8, strategy="random", random_state=0, n_jobs=2, learn=False,
               n_folds=3).fit(IRIS.data, IRIS.target)
    assert len(m.history_) == 2
    ok = [h for h in m.history_ if h["status"] == "ok"]
    assert m.search_stats_["ensemble_candidates_skipped"] == len(ok) - 1
    assert m.ensemble_ is None and m.score(IRIS.data, IRIS.target) > 0.5
    assert m.search_stats_["finish_seconds"] >= 0


@pytest.mark.slow
def test_automl_with_free_refits_searches_to_max_evals_and_skips_no_member(monkeypatch):
    monkeypatch.setattr(finish_time, "REFIT_SAFETY", 0.0)
    m = AutoML(time_budget=600, max_evals=4, strategy="random", random_state=0, n_jobs=1, learn=False,
               n_folds=3).fit(IRIS.data, IRIS.target)
    assert len(m.history_) == 4
    assert m.search_stats_["ensemble_candidates_skipped"] == 0


def test_the_ensemble_members_keep_back_at_most_a_share_of_the_budget():
    history = [_record(0.9, 10.0), _record(0.8, 40.0), _record(0.7, 40.0)]
    one = finish_time.REFIT_SAFETY * 100 / 80
    capped = finish_reserve(history, 100, FOLDS_80, ensemble=True, time_budget=300.0)
    assert capped == 10.0 * one + finish_time.ENSEMBLE_RESERVE_SHARE * 300.0  # the best's refit in full
    assert finish_reserve(history, 100, FOLDS_80, ensemble=True) == 90.0 * one  # no budget, no cap


def _timed(pid, family, rows, fit_time, status="ok"):
    return {"pipeline_id": pid, "family": family, "rows": rows, "fit_time": fit_time, "status": status, "score": 0.9}


def test_rows_exponents_learn_each_familys_growth_from_pipelines_timed_on_two_rungs():
    history = [_timed("a", "lightgbm", 10_000, 1.0), _timed("a", "lightgbm", 40_000, 2.0),   # slope 0.5 -> 0.7
               _timed("b", "rbf_svm", 10_000, 1.0), _timed("b", "rbf_svm", 40_000, 16.0),    # slope 2
               _timed("c", "logreg", 10_000, 1.0),                                          # one rung: nothing
               _timed("d", "xgboost", 10_000, 1.0), _timed("d", "xgboost", 40_000, 1.0, "timeout")]
    exponents = finish_time.rows_exponents(history)
    assert exponents == pytest.approx({"lightgbm": finish_time.MIN_EXPONENT, "rbf_svm": 2.0})
    record = _timed("a", "lightgbm", 40_000, 2.0)
    # from 40,000 to 640,000 rows: 16 ** 0.7 instead of 16 times
    assert refit_seconds(record, 640_000, FOLDS_80, exponents) == pytest.approx(
        finish_time.REFIT_SAFETY * 2.0 * 16 ** 0.7)
    assert refit_seconds(record, 640_000, FOLDS_80) == pytest.approx(finish_time.REFIT_SAFETY * 2.0 * 16)


def test_the_finish_refits_single_threaded_as_the_evaluations_measured(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    finish = AutoML._finish

    def recording_finish(self, *args, **kwargs):
        seen.extend(info["num_threads"] for info in threadpool_info())
        return finish(self, *args, **kwargs)

    monkeypatch.setattr(AutoML, "_finish", recording_finish)
    AutoML(max_evals=2, n_folds=3, n_jobs=2, random_state=0).fit(IRIS.data, IRIS.target)
    assert seen and set(seen) == {1}
