"""The ask/tell search and the AutoML estimator, on small real problems with real isolated evaluations."""
import threading

import numpy as np
import pandas as pd
import pytest
from recommender_fixtures import fitted_recommender
from sklearn.datasets import load_iris

from automl_engine import AutoML, DataError
from automl_engine.catalogue import load_catalogue
from automl_engine.evaluation import Evaluator, Limits, make_folds
from automl_engine.recommender.random import RandomRecommender
from automl_engine.recommender.warmstart import neighbour_mean_scores
from automl_engine.search import Budget, Problem, Search, spent_seconds

IRIS = load_iris(as_frame=True)


def _problem(meta=None):
    X, y = IRIS.data, IRIS.target.to_numpy()
    return Problem(X, y, "multiclass", "balanced_accuracy", {c: "numeric" for c in X},
                   make_folds(y, "multiclass", 3, 0), np.unique(y), meta)


def test_search_evaluates_exactly_max_evals_distinct_pipelines_and_best_is_monotone():
    catalogue = load_catalogue("classification")
    events = []
    with Evaluator(n_jobs=2, limits=Limits(timeout=60)) as evaluator:
        search = Search(_problem(), catalogue, RandomRecommender(len(catalogue), 1), evaluator, Budget(max_evals=5),
                        on_event=events.append)
        history = search.run()
    assert len(history) == 5 == len({h["pipeline_index"] for h in history})
    best = [e.best_score for e in events]
    assert best == sorted(best) and best[-1] == max(h["score"] for h in history if h["status"] == "ok")
    assert all(e.record["iteration"] == e.iteration for e in events)


@pytest.mark.slow
def test_time_budget_stops_starting_evaluations():
    catalogue = load_catalogue("classification")
    with Evaluator(n_jobs=1, limits=Limits(timeout=60)) as evaluator:
        search = Search(_problem(), catalogue, RandomRecommender(len(catalogue), 2), evaluator, Budget(seconds=2.0),
                        eval_timeout=60)
        history = search.run()
    assert history, "at least one evaluation starts"
    # nothing starts after the deadline: every evaluation began before 2 s had passed
    starts = [h["finished_at"] - h["wall_time"] for h in history]
    assert max(starts) < 2.0 + 1.0


def test_stop_from_another_thread_keeps_the_best_so_far():
    catalogue = load_catalogue("classification")
    events = []

    def on_event(event):
        events.append(event)
        if len(events) == 2:
            threading.Thread(target=search.stop).start()

    with Evaluator(n_jobs=1, limits=Limits(timeout=60)) as evaluator:
        search = Search(_problem(), catalogue, RandomRecommender(len(catalogue), 3), evaluator, Budget(max_evals=50),
                        on_event=on_event)
        history = search.run()
    assert 2 <= len(history) < 50
    assert search.best_index() is not None


@pytest.mark.slow
def test_warm_start_picks_come_first_and_are_labelled():
    catalogue = load_catalogue("classification")
    recommender, _, meta = fitted_recommender(len(catalogue))
    nearest_row = 4
    problem = _problem(meta=meta[nearest_row] + 1e-6)
    with Evaluator(n_jobs=1, limits=Limits(timeout=60)) as evaluator:
        search = Search(problem, catalogue, recommender, evaluator, Budget(max_evals=recommender.n_warm_start + 1))
        history = search.run()
    assert [h["source"] for h in history[:recommender.n_warm_start]] == ["warm start"] * recommender.n_warm_start
    assert history[-1]["source"] == "expected improvement"
    # the first pick is the best pipeline by its closeness-weighted mean over the nearest datasets
    order, distances = recommender.warm_start_neighbours(meta[nearest_row] + 1e-6, k=None)
    assert order[0] == nearest_row
    neighbours_best = int(np.argmax(neighbour_mean_scores(recommender.Y_, recommender.row_mean_, recommender.row_std_,
                                                          recommender.prior_mean_, order, distances)))
    assert history[0]["pipeline_index"] == neighbours_best
    assert all(np.isfinite(h["predicted_score"]) for h in history)


@pytest.mark.slow
def test_the_dataset_meta_features_reach_the_posterior_of_a_neighbour_prior():
    """With ``neighbour_prior`` the predicted scores on the leaderboard and in the events are those
    of the prior set by the nearest datasets, not by the average training row."""
    catalogue = load_catalogue("classification")
    plain, _, meta = fitted_recommender(len(catalogue))
    recommender = plain.with_params(neighbour_prior=True, n_warm_start=0)
    problem = _problem(meta=meta[4])
    events = []
    with Evaluator(n_jobs=1, limits=Limits(timeout=60)) as evaluator:
        history = Search(problem, catalogue, recommender, evaluator, Budget(max_evals=2), on_event=events.append).run()
    first = history[0]["pipeline_index"]
    steered, _ = recommender.predict({}, meta_features=meta[4])
    average, _ = recommender.predict({})
    assert first == recommender.suggest({}, n=1, meta_features=meta[4])[0]
    assert history[0]["predicted_score"] == pytest.approx(steered[first])
    assert steered[first] != pytest.approx(average[first])
    observed = {h["pipeline_index"]: h["score"] for h in history}
    np.testing.assert_allclose(events[-1].posterior_mean, recommender.predict(observed, meta_features=meta[4])[0])


def test_resumed_search_continues_without_repeating_and_counts_the_budget():
    catalogue = load_catalogue("classification")
    with Evaluator(n_jobs=1, limits=Limits(timeout=60)) as evaluator:
        first = Search(_problem(), catalogue, RandomRecommender(len(catalogue), 4), evaluator,
                       Budget(max_evals=2)).run()
        resumed = Search(_problem(), catalogue, RandomRecommender(len(catalogue), 5), evaluator,
                         Budget(max_evals=4, spent=spent_seconds(first)), history=first).run()
    assert len(resumed) == 4 and resumed[:2] == first
    assert len({h["pipeline_index"] for h in resumed}) == 4
    assert [h["iteration"] for h in resumed] == [1, 2, 3, 4]


@pytest.mark.slow
def test_automl_same_seed_same_leaderboard_across_runs_and_n_jobs():
    def run(n_jobs):
        m = AutoML(max_evals=4, strategy="random", random_state=7, n_jobs=n_jobs, learn=False, n_folds=3)
        return m.fit(IRIS.data, IRIS.target)

    a, b, c = run(1), run(1), run(2)
    cols = ["pipeline_id", "score"]
    pd.testing.assert_frame_equal(a.leaderboard_[cols], b.leaderboard_[cols])
    pd.testing.assert_frame_equal(a.leaderboard_[cols], c.leaderboard_[cols])
    assert (a.predict(IRIS.data) == c.predict(IRIS.data)).all()
    assert np.allclose(a.predict_proba(IRIS.data), c.predict_proba(IRIS.data))


@pytest.mark.slow
def test_automl_with_pmf_recommender_leaderboard_and_predictions():
    catalogue = load_catalogue("classification")
    recommender, _, _ = fitted_recommender(len(catalogue))
    m = AutoML(max_evals=6, random_state=0, recommender=recommender, learn=False, n_folds=3).fit(IRIS.data, IRIS.target)
    board = m.leaderboard_
    for column in ("pipeline_id", "description", "family", "score", "score_std", "predicted_score",
                   "predicted_std", "fit_time"):
        assert column in board.columns
    assert board["score"].is_monotonic_decreasing
    assert len(m.history_) == 6 and m.task_ == "multiclass" and m.metric_ == "balanced_accuracy"
    assert set(m.predict(IRIS.data)) <= {0, 1, 2}
    assert m.score(IRIS.data, IRIS.target) > 0.8
    if m.ensemble_ is not None:
        assert board.iloc[0]["pipeline_id"] == "ensemble"


def test_automl_rejects_unknown_strategy_with_a_sentence():
    with pytest.raises(DataError, match="strategy must be one of"):
        AutoML(strategy="grid", max_evals=1).fit(IRIS.data, IRIS.target)


@pytest.mark.slow
@pytest.mark.parametrize("fixed_picks", [5, 0])  # 0: the shipped classification setting (neighbours' prior only)
def test_finished_search_grows_the_local_knowledge_and_is_used_next_time(isolated_data_dir, fixed_picks):
    from automl_engine.knowledge.store import KnowledgeStore

    catalogue = load_catalogue("classification")
    recommender, _, _ = fitted_recommender(len(catalogue))
    recommender = recommender.with_params(n_warm_start=fixed_picks, neighbour_prior=fixed_picks == 0)
    first = AutoML(max_evals=3, random_state=0, recommender=recommender, n_folds=3, ensemble=False, learn=True)
    first.fit(IRIS.data, IRIS.target)
    store = KnowledgeStore(isolated_data_dir / "knowledge.sqlite")
    users = store.datasets(origin="user")
    assert len(users) == 1 and len(store.evaluations(users[0]["name"])) == 3
    second = AutoML(max_evals=1, random_state=0, recommender=recommender, n_folds=3, ensemble=False, learn=True)
    second.fit(IRIS.data, IRIS.target)
    assert second.recommender_ is recommender  # the shipped/given recommender; the local runs only steer the search
    top = max(h["score"] for h in first.history_)
    best_before = {h["pipeline_id"] for h in first.history_ if h["score"] == top}  # ties: any of the best
    assert second.history_[0]["pipeline_id"] in best_before
    assert second.history_[0]["source"] == "local run"
    # the run says what steered it: the first run, by its table's fingerprint
    assert first.knowledge_["local_runs"] == [] and second.knowledge_["local_runs"] == [users[0]["name"]]


@pytest.mark.slow
def test_learning_is_off_by_default_and_then_earlier_runs_change_nothing(isolated_data_dir):
    """Repeatable by default: a learning run in between does not change the next default run's leaderboard."""
    catalogue = load_catalogue("classification")
    recommender, _, _ = fitted_recommender(len(catalogue))
    settings = dict(max_evals=3, random_state=0, recommender=recommender, n_folds=3, ensemble=False)
    before = AutoML(**settings).fit(IRIS.data, IRIS.target)
    assert not (isolated_data_dir / "knowledge.sqlite").exists()  # a default fit writes no user file
    AutoML(**settings, learn=True).fit(IRIS.data, IRIS.target)
    after = AutoML(**settings).fit(IRIS.data, IRIS.target)
    columns = ["pipeline_id", "score"]
    pd.testing.assert_frame_equal(before.leaderboard_[columns], after.leaderboard_[columns])
    assert after.knowledge_ == {"recommender": "given", "learn": False, "local_runs_available": 0, "local_runs": []}


def test_opting_out_leaves_the_local_store_empty(isolated_data_dir):
    AutoML(max_evals=1, strategy="random", random_state=0, learn=False, n_folds=3).fit(IRIS.data, IRIS.target)
    assert not (isolated_data_dir / "knowledge.sqlite").exists()


def test_a_budget_too_small_for_any_pipeline_still_yields_a_model():
    """Every evaluation times out within the budget: the cheapest pipelines are tried until one fits."""
    m = AutoML(time_budget=1, eval_timeout=0.001, strategy="random", random_state=0, learn=False, n_folds=3,
               ensemble=False)
    m.fit(IRIS.data, IRIS.target)
    assert any(h["status"] == "ok" for h in m.history_)
    assert m.history_[-1]["source"] == "fallback"
    assert m.score(IRIS.data, IRIS.target) > 0.5


class _FixedPicks:
    """A recommender that proposes the given catalogue indices in order."""

    def __init__(self, order, n_pipelines):
        self.order, self.n_pipelines = list(order), n_pipelines

    def suggest(self, observed, n=1, meta_features=None, costs=None, exclude=()):
        return [i for i in self.order if i not in observed and i not in exclude][:n]

    def predict(self, observed, meta_features=None):
        return np.zeros(self.n_pipelines), np.ones(self.n_pipelines)


def test_the_final_refit_is_as_quiet_as_the_evaluations():
    """Library chatter while refitting the best pipeline (scikit-learn >= 1.9 deprecated the
    probability=True the rbf_svm family used before catalogue 1.1) does not reach the user's console."""
    import warnings

    catalogue = load_catalogue("classification")
    svm = [i for i in range(len(catalogue)) if catalogue[i].family == "rbf_svm"][:2]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = AutoML(max_evals=2, random_state=0, recommender=_FixedPicks(svm, len(catalogue)), learn=False, n_folds=3,
                   ensemble=False).fit(IRIS.data, IRIS.target)
    assert catalogue[m.history_[0]["pipeline_index"]].family == "rbf_svm" and m.best_pipeline_ is not None
    assert [str(w.message) for w in caught if issubclass(w.category, (FutureWarning, DeprecationWarning))
            and "sklearn" in w.filename] == []


def test_the_fallback_gets_what_is_left_of_the_time_budget_not_two_minutes(monkeypatch):
    """Issue 23 item 7: the fallback once gave each try FALLBACK_TIMEOUT (120 s) whatever the budget."""
    from automl_engine import automl as automl_module

    timeouts = []
    submit = Evaluator.submit

    def recording_submit(self, task, timeout=None):
        timeouts.append(timeout)
        return submit(self, task, timeout)

    monkeypatch.setattr(Evaluator, "submit", recording_submit)
    m = AutoML(time_budget=1, eval_timeout=0.001, strategy="random", random_state=0, learn=False, n_folds=3,
               ensemble=False)
    m.fit(IRIS.data, IRIS.target)
    n_fallback = sum(h["source"] == "fallback" for h in m.history_)  # the last, one at a time
    fallback = timeouts[-n_fallback:] if n_fallback else []
    assert fallback and max(fallback) <= automl_module.FALLBACK_FLOOR
    assert any(h["status"] == "ok" for h in m.history_)  # the floor still leaves room for a model


def test_no_fallback_try_when_every_pipeline_is_predicted_far_beyond_its_window(monkeypatch):
    """Issue 23 item 7: on a 500 x 10,000 table the quickest pipeline was predicted at 91 s; a 10 s fallback try
    only overran a 20 s budget. The fallback is skipped, and the sentence says what the table needs."""
    from automl_engine import automl as automl_module
    from automl_engine.search.cost_model import CostModel

    catalogue = load_catalogue("classification")
    slow = CostModel(np.full(len(catalogue), 900.0), catalogue.families)
    monkeypatch.setattr(automl_module.CostModel, "from_knowledge", classmethod(lambda cls, *a, **k: slow))
    m = AutoML(time_budget=0.01, strategy="random", random_state=0, learn=False, n_folds=3, ensemble=False)
    with pytest.raises(DataError, match=r"predicted to take about 900 s each"):
        m.fit(IRIS.data, IRIS.target)  # the budget is gone once the table is prepared: only a fallback could run
    assert not any(h["source"] == "fallback" for h in m.history_)
    monkeypatch.undo()  # with the shipped predictions (well under a second on iris) the fallback gives a model
    m = AutoML(time_budget=0.01, strategy="random", random_state=0, learn=False, n_folds=3, ensemble=False)
    assert any(h["source"] == "fallback" for h in m.fit(IRIS.data, IRIS.target).history_)
