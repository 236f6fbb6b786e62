"""Predicted evaluation seconds at this table's size, corrected by the run, and too-slow picks skipped."""
import numpy as np
from sklearn.datasets import load_iris

from automl_engine.catalogue import family_costs, load_catalogue
from automl_engine.evaluation import Evaluator, Limits, make_folds
from automl_engine.knowledge.artifact import load_knowledge
from automl_engine.recommender.random import RandomRecommender
from automl_engine.search import Budget, Problem, Search
from automl_engine.search.cost_model import CostModel

IRIS = load_iris(as_frame=True)


def _folds(n, k=3):
    y = np.arange(n) % 2
    return make_folds(y, "binary", k, 0)


def test_costs_grow_with_rows_as_each_family_declares():
    catalogue = load_catalogue("classification")
    knowledge = load_knowledge("classification")
    small_model = CostModel.from_knowledge(knowledge, catalogue, 1_000, 20, _folds(1_000))
    large_model = CostModel.from_knowledge(knowledge, catalogue, 50_000, 20, _folds(50_000))
    assert 0 < small_model.overhead == large_model.overhead < 1  # a fraction of a second per evaluation
    small, large = small_model.predict() - small_model.overhead, large_model.predict() - large_model.overhead
    families = np.asarray(catalogue.families)
    growth = {f: float(np.median(large[families == f] / small[families == f])) for f in ("rbf_svm", "random_forest")}
    exponents = family_costs("classification")
    for family, g in growth.items():  # 50x the rows: the work grows 50 ** (the family's row exponent)
        assert np.isclose(g, 50 ** exponents[family]["rows"], rtol=1e-6), family
    assert growth["rbf_svm"] > 20 * growth["random_forest"]
    assert np.all(np.isfinite(small)) and np.all(small > 0)


def test_the_runs_own_timings_correct_the_predictions():
    model = CostModel(np.array([1.0, 1.0, 4.0]), ["svm", "svm", "forest"])
    before = model.predict()
    for _ in range(5):
        model.observe(0, 10.0)  # the SVM family is ten times slower here than the knowledge says
    after = model.predict()
    assert after[1] > 5 * before[1]          # its untried sibling is predicted slower too
    assert before[2] < after[2] < after[1] * 4  # other families follow partly (the run's overall ratio)
    model.observe(2, float("nan"))             # an evaluation without a time changes nothing
    np.testing.assert_allclose(model.predict(), after)


def test_a_timeout_cut_short_does_not_make_a_pipeline_look_quick():
    """A timeout's seconds are a lower bound: a 5 s try of a pipeline predicted at 90 s (a search near its end)
    once corrected every prediction down to a few seconds, and the fallback then overran the budget."""
    model = CostModel(np.array([90.0, 90.0, 100.0]), ["knn", "knn", "tree"])
    before = model.predict()
    model.observe(0, 5.0, at_least=True)
    np.testing.assert_allclose(model.predict(), before)   # took "at least 5 s": nothing learnt
    model.observe(0, 300.0, at_least=True)                 # at least 300 s: slower than predicted
    assert model.predict()[1] > 2 * before[1]


def test_a_pick_predicted_to_overrun_the_budget_is_not_started():
    catalogue = load_catalogue("classification")
    y = IRIS.target.to_numpy()
    problem = Problem(IRIS.data, y, "multiclass", "balanced_accuracy", {c: "numeric" for c in IRIS.data.columns},
                      make_folds(y, "multiclass", 3, 0), np.unique(y))
    slow = np.array([f in ("rbf_svm", "random_forest") for f in catalogue.families])
    costs = CostModel(np.where(slow, 1_000.0, 0.01), catalogue.families)
    with Evaluator(n_jobs=1, limits=Limits(timeout=60)) as evaluator:
        search = Search(problem, catalogue, RandomRecommender(len(catalogue), 0), evaluator,
                        Budget(seconds=600, max_evals=6), cost_model=costs)
        history = search.run()
    assert len(history) == 6
    assert not any(h["family"] in ("rbf_svm", "random_forest") for h in history)
    assert set(search.too_slow) == set(np.flatnonzero(slow).tolist())  # and the search says which it skipped


def test_automl_reports_what_it_skipped_as_too_slow(monkeypatch):
    from automl_engine import AutoML
    from automl_engine.search import cost_model

    catalogue = load_catalogue("classification")
    slow = np.array([f == "rbf_svm" for f in catalogue.families])

    def predicted(knowledge, catalogue_, n_rows, n_features, folds):
        return CostModel(np.where(slow, 1e6, 0.05), catalogue_.families)

    monkeypatch.setattr(cost_model.CostModel, "from_knowledge", staticmethod(predicted))
    model = AutoML(time_budget=60, max_evals=3, strategy="random", random_state=0, n_folds=3, ensemble=False)
    model.fit(IRIS.data, IRIS.target)
    assert model.search_stats_["skipped_too_slow"] == {"rbf_svm": int(slow.sum())}
    assert model.leaderboard_.attrs["skipped_too_slow"] == {"rbf_svm": int(slow.sum())}
    assert not any(h["family"] == "rbf_svm" for h in model.history_)


def test_before_any_timing_only_the_relatively_hopeless_are_left_out():
    """Unchecked extrapolations (seconds far off on a huge table) never end a search before it starts."""
    catalogue = load_catalogue("classification")
    y = IRIS.target.to_numpy()
    problem = Problem(IRIS.data, y, "multiclass", "balanced_accuracy", {c: "numeric" for c in IRIS.data.columns},
                      make_folds(y, "multiclass", 3, 0), np.unique(y))
    families = np.asarray(catalogue.families)
    base = np.where(families == "rbf_svm", 1e7, np.where(families == "logreg", 500.0, 5_000.0))  # all > budget
    with Evaluator(n_jobs=1, limits=Limits(timeout=60)) as evaluator:
        search = Search(problem, catalogue, RandomRecommender(len(catalogue), 0), evaluator,
                        Budget(seconds=120, max_evals=3), cost_model=CostModel(base, catalogue.families))
        history = search.run()
    assert len(history) == 3 and not any(h["family"] == "rbf_svm" for h in history)
