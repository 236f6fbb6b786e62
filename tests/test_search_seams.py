"""The seams of the search: the recommender protocol, suggestions, the budget, ask/tell driven from outside."""
import math
import threading

import numpy as np
import pytest
from recommender_fixtures import fitted_recommender
from sklearn.datasets import load_iris

from automl_engine import AutoML
from automl_engine.catalogue import load_catalogue
from automl_engine.evaluation import Evaluator, Limits, evaluate, make_folds
from automl_engine.model.skops_io import make_card
from automl_engine.recommender.local import LocalRow, LocalWarmStart
from automl_engine.recommender.protocol import Recommender, Suggestion
from automl_engine.recommender.random import RandomRecommender
from automl_engine.search import Budget, Problem, Search
from automl_engine.search.events import PHASES, PhaseEvent

IRIS = load_iris(as_frame=True)


def _problem():
    y = IRIS.target.to_numpy()
    return Problem(IRIS.data, y, "multiclass", "balanced_accuracy", {c: "numeric" for c in IRIS.data.columns},
                   make_folds(y, "multiclass", 3, 0), np.unique(y))


def test_a_suggestion_is_an_index_with_its_source_and_prediction():
    s = Suggestion(5, "expected improvement", 0.8, 0.1)
    assert s == 5 and isinstance(s, int) and [0, 1, 2, 3, 4, 5][s] == 5
    assert (s.source, s.predicted_score, s.predicted_std) == ("expected improvement", 0.8, 0.1)
    with pytest.raises(ValueError, match="source must be one of"):
        Suggestion(1, "a hunch")


def test_every_recommender_follows_the_protocol_and_labels_its_picks():
    n = len(load_catalogue("classification"))
    pmf, _, meta = fitted_recommender(n)
    local = LocalWarmStart(pmf, [LocalRow("user:abc", meta[0], {7: 0.9, 3: 0.5})])
    for recommender in (pmf, RandomRecommender(n, 0), local):
        assert isinstance(recommender, Recommender)
    warm = pmf.suggest({}, n=pmf.n_warm_start + 1, meta_features=meta[0])
    assert [s.source for s in warm] == ["warm start"] * pmf.n_warm_start + ["expected improvement"]
    mean, std = pmf.predict({}, meta_features=meta[0])
    assert all(math.isclose(s.predicted_score, mean[s]) and math.isclose(s.predicted_std, std[s]) for s in warm)
    assert {s.source for s in RandomRecommender(n, 0).suggest({}, n=3)} == {"random"}
    picks = local.suggest({}, n=3, meta_features=meta[0])  # the local run is at distance 0: nearer than any
    assert [int(p) for p in picks[:2]] == [7, 3] and [p.source for p in picks[:2]] == ["local run"] * 2
    assert local.local_picks == {7: "user:abc", 3: "user:abc"}
    assert not hasattr(local, "embeddings_")  # no forwarding of the wrapped recommender's attributes


def test_the_loop_can_be_driven_from_outside_with_ask_and_tell():
    catalogue = load_catalogue("classification")
    search = Search(_problem(), catalogue, RandomRecommender(len(catalogue), 0), budget=Budget(max_evals=3))
    events = []
    for _ in range(3):
        trial = search.ask()[0]
        assert trial.suggestion.source == "random" and search.in_flight() == [catalogue[trial.suggestion].description]
        events.append(search.tell(trial, evaluate(trial.task)))
    assert [e.iteration for e in events] == [1, 2, 3] and search.in_flight() == []
    assert len({h["pipeline_id"] for h in search.history}) == 3
    assert all(h["status"] == "ok" and h["source"] == "random" for h in search.history)


def test_a_budget_counts_what_a_resumed_run_spent():
    budget = Budget(seconds=60, spent=50, started=1000.0)  # started: a time.perf_counter() reading
    assert budget.timed and budget.deadline == 1010.0
    assert not Budget(max_evals=3).timed and Budget(max_evals=3).deadline is None


def test_as_completed_yields_every_result_and_stops_on_the_event():
    catalogue = load_catalogue("classification")
    search = Search(_problem(), catalogue, RandomRecommender(len(catalogue), 1), budget=Budget(max_evals=2))
    trials = search.ask(2)
    with Evaluator(n_jobs=2, limits=Limits(timeout=60)) as evaluator:
        for trial in trials:
            evaluator.submit(trial.task)
        keys = {r.key for r in evaluator.as_completed()}
        assert keys == {t.key for t in trials}
        stopped = threading.Event()
        stopped.set()
        evaluator.submit(trials[0].task)
        assert list(evaluator.as_completed(stop=stopped)) == []  # returns at once once stop is set
        evaluator.drain()


def test_fit_announces_its_phases_and_stops_on_the_event():
    events = []
    model = AutoML(max_evals=3, strategy="random", random_state=0, n_folds=3)
    model.fit(IRIS.data, IRIS.target, on_event=events.append)
    phases = [e.phase for e in events if isinstance(e, PhaseEvent)]
    assert phases[:3] == ["preparing", "searching", "refitting"] and set(phases) <= set(PHASES)
    assert sum(not isinstance(e, PhaseEvent) for e in events) == 3
    stop = threading.Event()
    stop.set()  # stopped before the search: nothing is evaluated and the fit says so
    with pytest.raises(Exception, match="no pipeline could be fitted"):
        AutoML(max_evals=3, strategy="random", random_state=0, n_folds=3).fit(IRIS.data, IRIS.target, stop=stop)


@pytest.mark.slow
def test_the_search_asks_for_the_shipped_recommender_of_the_tables_size(monkeypatch):
    """A table of 5,000 rows or more may have a recommender of its own (fitted with the 5,000-row scores):
    the search must say how many rows it has."""
    import pandas as pd

    from automl_engine import automl as automl_module

    asked = []
    real = automl_module.load_recommender
    monkeypatch.setattr(automl_module, "load_recommender",
                        lambda task_type, folder=None, n_rows=None: asked.append((task_type, n_rows))
                        or real(task_type, folder, n_rows=n_rows))
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=6000), "b": rng.normal(size=6000)})
    y = (X["a"] + rng.normal(size=6000) > 0).astype(int)
    model = AutoML(max_evals=1, learn=False, n_jobs=1, final_model="refit", random_state=0).fit(X, y)
    assert asked == [("classification", 6000)]
    # the model card names the knowledge that guided the search (classification ships one recommender for all sizes)
    assert model.knowledge_["recommender"] == "shipped classification knowledge"
    assert make_card(model)["search_guided_by"] == "shipped classification knowledge"
