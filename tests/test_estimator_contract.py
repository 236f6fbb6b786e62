"""AutoML as a scikit-learn estimator: clone, cross-validation, the estimator checks, resumed budgets."""
import numpy as np
import pytest
from recommender_fixtures import fitted_recommender
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.model_selection import cross_val_score
from sklearn.utils import estimator_checks

from automl_engine import AutoML, DataError
from automl_engine.catalogue import load_catalogue
from automl_engine.knowledge.recommender_io import save_recommender

IRIS = load_iris(as_frame=True)


@pytest.mark.slow
def test_clone_keeps_a_fitted_recommender_and_the_clone_fits():
    recommender, _, _ = fitted_recommender(len(load_catalogue("classification")))
    model = AutoML(max_evals=2, random_state=0, recommender=recommender, n_folds=3, ensemble=False)
    twin = clone(model)
    assert twin is not model and twin.recommender is recommender
    assert twin.get_params() == model.get_params()
    twin.fit(IRIS.data, IRIS.target)
    assert len(twin.history_) == 2 and twin.knowledge_["recommender"] == "given"


@pytest.mark.slow
def test_a_recommender_given_by_path_is_loaded(tmp_path):
    recommender, _, _ = fitted_recommender(len(load_catalogue("classification")))
    save_recommender(recommender, tmp_path / "rec.npz")
    model = clone(AutoML(max_evals=1, random_state=0, recommender=str(tmp_path / "rec.npz"), n_folds=3))
    model.fit(IRIS.data, IRIS.target)
    np.testing.assert_allclose(model.recommender_.embeddings_, recommender.embeddings_)


@pytest.mark.slow
def test_cross_val_score_runs_automl_as_any_estimator():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    scores = cross_val_score(AutoML(max_evals=3, random_state=0, n_folds=3), X.iloc[:300], y.iloc[:300], cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.8)  # balanced accuracy, from AutoML.score


# scikit-learn's estimator checks: every check runs; these are expected to fail, by design.
EXPECTED_FAILED_CHECKS = {
    check: "AutoML refuses tables of fewer than 20 usable rows (or one class of fewer than 5) with one "
           "DataError sentence of its own, not scikit-learn's message"
    for check in ("check_n_features_in_after_fitting", "check_complex_data", "check_estimators_empty_data_messages",
                  "check_fit2d_1sample", "check_fit2d_1feature")
} | {
    "check_estimators_nan_inf": "missing values are imputed inside every pipeline, by design; infinite values "
                                "are refused with a sentence naming the column",
    "check_dtype_object": "a column of Python objects (dicts) mixed with numbers is refused with a sentence",
    "check_fit2d_predict1d": "1-D input is refused with a sentence of its own ('X must be a table ...')",
}


@pytest.mark.slow
def test_scikit_learn_estimator_checks():
    estimator_checks.check_estimator(AutoML(max_evals=1, strategy="random", ensemble=False, random_state=0, n_folds=3),
                                     expected_failed_checks=EXPECTED_FAILED_CHECKS)


def test_arrays_in_fit_and_predict_and_a_pickled_model():
    import pickle

    X, y = IRIS.data.to_numpy(), IRIS.target.to_numpy()
    model = AutoML(max_evals=1, strategy="random", ensemble=False, random_state=0, n_folds=3).fit(X, y)
    assert model.n_features_in_ == 4 and list(model.feature_names_in_) == ["x0", "x1", "x2", "x3"]
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    with pytest.raises(DataError, match="X has 3 columns but the model was fitted on 4"):
        model.predict(X[:, :3])


@pytest.mark.slow
def test_fit_returns_self_and_does_not_change_its_parameters():
    model = AutoML(max_evals=1, strategy="random", ensemble=False, random_state=0, n_folds=3)
    before = clone(model).get_params()
    assert model.fit(IRIS.data, IRIS.target) is model
    assert model.get_params() == before  # check_dont_overwrite_parameters, on data AutoML accepts


@pytest.mark.slow
def test_a_resumed_fit_keeps_the_original_time_budget(monkeypatch):
    """A 60 s run of which 50 s were spent before it stopped gets 10 s more, not a fresh 60 s."""
    import automl_engine.search.final as final_module  # where the finish chooses the members that fit

    first = AutoML(max_evals=3, strategy="random", random_state=0, n_folds=3, ensemble=False)
    first.fit(IRIS.data, IRIS.target)
    spent = 50.0
    history = [dict(h, finished_at=spent) for h in first.history_]
    finish_time_left = []

    def record_time_left(candidates, n_rows, folds, seconds_left, **options):
        finish_time_left.append(seconds_left)
        return record_time_left.__wrapped__(candidates, n_rows, folds, seconds_left, **options)

    record_time_left.__wrapped__ = final_module.affordable_members
    monkeypatch.setattr(final_module, "affordable_members", record_time_left)
    resumed = AutoML(time_budget=60, strategy="random", random_state=0, n_folds=3)
    resumed.fit(IRIS.data, IRIS.target, history=history)
    assert resumed.search_stats_["search_seconds"] >= spent  # the search's clock continues the earlier run's
    assert len(finish_time_left) == 1 and finish_time_left[0] <= 60 - spent  # the final refits' share too
