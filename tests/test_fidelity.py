"""Multi-fidelity search: rungs of nested row subsamples, promotions of the best, the final choice."""
import io
from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from automl_engine import AutoML
from automl_engine.catalogue import load_catalogue
from automl_engine.cli.fit_cmd import print_leaderboard
from automl_engine.evaluation import evaluate, make_folds
from automl_engine.recommender.random import RandomRecommender
from automl_engine.search import Budget, Problem, Search
from automl_engine.search.cost_model import CostModel
from automl_engine.search.fidelity import SuccessiveHalving, make_rungs
from automl_engine.search.leaderboard import make_leaderboard


def _table(n=3000, seed=0):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, weights=[0.8, 0.2], random_state=seed)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]), y


def test_rungs_are_nested_stratified_subsamples_of_the_first_fold_then_the_full_folds():
    _, y = _table(40_000)
    folds = make_folds(y, "binary", 1, 0)
    rungs = make_rungs(folds, y, "binary", 0, min_rows=2000)
    assert [r.train_rows for r in rungs] == [2250, 9000, 36000]
    assert rungs[-1].folds is not folds and rungs[-1].folds == folds
    train0, test0 = rungs[0].folds[0]
    train1, test1 = rungs[1].folds[0]
    assert set(train0) <= set(train1) <= set(folds[0][0])      # nested, inside the full fold's training rows
    assert set(test0) <= set(test1) <= set(folds[0][1])
    assert len(test0) == 2000 and len(test1) == 2250
    assert abs(y[train0].mean() - y.mean()) < 0.005             # class proportions kept in every prefix


def test_a_table_below_the_threshold_has_one_rung_the_full_folds():
    _, y = _table(3000)
    folds = make_folds(y, "binary", None, 0)
    rungs = make_rungs(folds, y, "binary", 0)
    assert len(rungs) == 1 and rungs[0].folds == folds


def test_successive_halving_promotes_the_best_quarter_once_highest_rung_first_never_a_failure():
    halving = SuccessiveHalving(3, eta=2)
    for index, score in enumerate([0.5, float("nan"), 0.9, 0.7]):
        halving.record(index, 0, score)
    assert halving.promotable() == [(2, 1), (3, 1)]            # the best half; the failure is not
    halving.start(2, 1)
    assert halving.promotable() == [(3, 1)]                    # never promoted twice
    halving.record(2, 1, 0.8)
    halving.record(3, 1, 0.6)
    assert halving.promotable() == [(2, 2)]                    # rung 1's best half, before anything of rung 0
    assert halving.top_level() == 1


def test_cost_model_predicts_a_rung_by_its_rows_exponent_and_learns_from_any_rung():
    model = CostModel(np.array([1.0 + 8.0, 1.0 + 8.0]), ["svm", "linear"], overhead=1.0,
                      rows_exponents=[2.0, 1.0], train_rows=1000, n_folds=1)
    np.testing.assert_allclose(model.predict(500, 1), [1.0 + 2.0, 1.0 + 4.0])
    model.observe(1, 10.0, 500, 1)                              # the linear model ran 2x slower than predicted at 500
    assert model.predict(1000, 1)[1] > 9.0 * 1.5


def _mf_search(recommender_seed=3, eta_rows=150):
    X, y = _table()
    folds = make_folds(y, "binary", 1, 0)
    catalogue = load_catalogue("classification")
    problem = Problem(X, y, "binary", "balanced_accuracy", {c: "numeric" for c in X}, folds, np.unique(y))
    rungs = make_rungs(folds, y, "binary", 0, min_rows=eta_rows)
    return Search(problem, catalogue, RandomRecommender(len(catalogue), recommender_seed), budget=Budget(max_evals=20),
                  rungs=rungs), rungs


def test_search_promotes_the_best_of_a_rung_and_tells_the_recommender_only_first_scores():
    search, rungs = _mf_search()
    assert [r.train_rows for r in rungs] == [168, 675, 2700]
    trials = []
    for _ in range(9):
        trial = search.ask(1)[0]
        trials.append(trial)
        search.tell(trial, evaluate(trial.task))
    history = search.history
    first_four = history[:4]
    assert all(h["rung"] == 0 and h["rows"] == 168 for h in first_four)
    promoted = history[4]
    ok = [h for h in first_four if h["status"] == "ok"]
    assert promoted["source"] == "promoted" and promoted["rung"] == 1 and promoted["rows"] == 675
    assert promoted["pipeline_index"] == max(ok, key=lambda h: h["score"])["pipeline_index"]
    assert len(trials[4].task.folds[0][0]) == 675
    # out-of-fold predictions come back for the rung's validation rows only, not a mostly empty full-size array
    result = evaluate(trials[4].task)
    assert result.oof.shape == (len(rungs[1].validation), 2) and len(rungs[1].validation) == 168
    # the recommender keeps the rung-0 score of the promoted pipeline
    first_score = next(h["score"] for h in first_four if h["pipeline_index"] == promoted["pipeline_index"])
    assert search.observed[promoted["pipeline_index"]] == first_score
    # a later pipeline that becomes the best of rung 0 is promoted as soon as it is (asynchronous halving)
    rung1 = [h for h in history if h["rung"] == 1]
    assert len(rung1) >= 2 and all(h["source"] == "promoted" for h in rung1)
    # the final choice is the best of the highest rung reached, and the leaderboard ranks it first
    best = max((h for h in rung1 if h["status"] == "ok"), key=lambda h: h["score"])
    assert search.best_index() == best["pipeline_index"]
    board = make_leaderboard(history)
    assert board.loc[0, "pipeline_id"] == best["pipeline_id"] and board.loc[0, "rows"] == 675
    assert (board["rung"] == 1).sum() == len(rung1)
    # the CLI's leaderboard names the rows each score was measured on
    out = io.StringIO()
    print_leaderboard(SimpleNamespace(leaderboard_=board, metric_="balanced_accuracy", task_="binary",
                                      history_=history), stream=out)
    header, first = out.getvalue().splitlines()[1:3]
    assert "rows" in header.split() and "675" in first.split()
    assert "0.000" not in first.split()        # no spread over folds to show with a single holdout
    assert board["pipeline_id"].is_unique and len(board) == len({h["pipeline_id"] for h in history})


def test_resumed_search_rebuilds_the_rungs_and_does_not_promote_twice():
    search, rungs = _mf_search()
    for _ in range(5):
        trial = search.ask(1)[0]
        search.tell(trial, evaluate(trial.task))
    resumed = Search(search.problem, search.catalogue, search.recommender, budget=Budget(max_evals=20),
                     history=search.history, rungs=rungs)
    assert resumed.halving.promotable() == []
    assert resumed.observed == search.observed


@pytest.mark.slow
def test_automl_with_rungs_fits_on_all_rows_and_reports_the_rows_of_each_score(monkeypatch):
    import automl_engine.automl as automl_module

    monkeypatch.setattr(automl_module, "make_rungs", partial(make_rungs, min_rows=150))
    X, y = _table()
    model = AutoML(max_evals=10, n_folds=1, n_jobs=1, random_state=0, strategy="random").fit(X, y)
    board = model.leaderboard_
    assert set(board["rows"].dropna()) <= {168, 675, 2700} and (board["rows"] < 2700).any()
    assert board.loc[0, "rung"] == board["rung"].max()
    assert model.best_record_["rung"] == board["rung"].max()
    assert model.predict(X).shape == (3000,) and model.score(X, y) > 0.6
    assert any(h["source"] == "promoted" for h in model.history_)


def test_fidelity_full_keeps_every_candidate_on_all_rows(monkeypatch):
    import automl_engine.automl as automl_module

    monkeypatch.setattr(automl_module, "make_rungs", partial(make_rungs, min_rows=150))
    X, y = _table(1200)
    model = AutoML(max_evals=3, n_folds=1, n_jobs=1, random_state=0, fidelity="full").fit(X, y)
    assert set(model.leaderboard_["rows"]) == {1080}
    with pytest.raises(Exception, match="fidelity must be one of"):
        AutoML(max_evals=3, fidelity="low").fit(X, y)


def test_the_run_store_best_score_is_that_of_the_highest_rung(tmp_path):
    from automl_engine.store.runs import RunStore

    store = RunStore(tmp_path / "runs.sqlite")
    run_id = store.create(name="t", target="y", settings={})
    store.add_evaluation(run_id, {"iteration": 1, "status": "ok", "score": 0.9, "rung": 0})
    assert store.get(run_id)["best_score"] == 0.9
    store.add_evaluation(run_id, {"iteration": 2, "status": "ok", "score": 0.8, "rung": 1})
    store.add_evaluation(run_id, {"iteration": 3, "status": "failed", "score": None, "rung": 2})
    assert store.get(run_id)["best_score"] == 0.8     # the score on more rows, as the model chosen
