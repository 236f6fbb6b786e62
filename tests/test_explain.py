"""SHAP explanations per original column: additivity for every family and the ensemble, mapping, options."""
import numpy as np
import pandas as pd
import pytest
from model_zoo import CLASSIFICATION_FAMILIES, REGRESSION_FAMILIES, fitted, fitted_ensemble
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from tables import MIXED_TYPES

from automl_engine import DataError, explain
from automl_engine.explain import ADDITIVITY_TOLERANCE, Explanation

TREES = {"decision_tree", "random_forest", "extra_trees", "hist_gradient_boosting", "lightgbm", "xgboost"}
LINEAR = {"logreg", "ridge", "lasso", "elastic_net"}
SMALL = {"max_rows": 30, "background": 20}


def expected_explainer(family: str) -> str:
    return "tree" if family in TREES else "linear" if family in LINEAR else "permutation"


def check_additive(e: Explanation) -> None:
    total = e.base_value + e.values.to_numpy().sum(axis=1)
    tolerance = ADDITIVITY_TOLERANCE[e.explainer]
    np.testing.assert_allclose(total, e.output, rtol=0, atol=tolerance * max(1.0, np.abs(e.output).max()))
    assert e.additivity_error() <= tolerance


def check_output_is_the_models(e: Explanation, model, task: str) -> None:
    """Probabilities and values are the pipeline's own outputs on the raw rows."""
    if e.output_kind == "value":
        np.testing.assert_allclose(e.output, model.predict(e.data), rtol=1e-9, atol=1e-9)
    elif e.output_kind == "probability":
        position = list(model.classes_).index(e.class_label)
        np.testing.assert_allclose(e.output, model.predict_proba(e.data)[:, position], rtol=1e-9, atol=1e-9)


def family_cases():
    slow = pytest.mark.slow
    cases = []
    for task in ("binary", "multiclass"):
        for family in CLASSIFICATION_FAMILIES:
            marks = [slow] if expected_explainer(family) == "permutation" else []
            cases.append(pytest.param(task, family, marks=marks, id=f"{task}-{family}"))
    for family in REGRESSION_FAMILIES:
        marks = [slow] if expected_explainer(family) == "permutation" else []
        cases.append(pytest.param("regression", family, marks=marks, id=f"regression-{family}"))
    return cases


@pytest.mark.slow
@pytest.mark.parametrize("task,family", family_cases())
def test_every_family_is_additive_over_original_columns(task, family):
    model, X, _ = fitted(task, family)
    e = explain(model, X, **SMALL)
    assert e.explainer == expected_explainer(family)
    assert list(e.values.columns) == list(MIXED_TYPES)
    assert len(e.values) == SMALL["max_rows"] and e.values.index.equals(e.data.index)
    assert e.values.index.isin(X.index).all()
    check_additive(e)
    check_output_is_the_models(e, model, task)
    if task == "regression":
        assert e.class_label is None and e.output_kind == "value"
    else:
        assert e.class_label in set(np.unique(model.classes_))
        assert e.output_kind in ("probability", "log-odds", "raw score")


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.slow
def test_ensemble_as_a_whole_is_additive(task):
    model, X, _ = fitted_ensemble(task)
    e = explain(model, X, **SMALL)
    assert e.explainer == "permutation"
    assert e.output_kind == ("value" if task == "regression" else "probability")
    check_additive(e)
    check_output_is_the_models(e, model, task)


@pytest.mark.parametrize("family,prep,explainer", [
    ("logreg", {"pca": 0.95}, "linear"),              # PCA folded into the coefficients
    ("logreg", {"select": 50, "encode": "target", "indicators": True}, "linear"),
    ("random_forest", {"encode": "onehot", "indicators": True, "select": 50}, "tree"),
    pytest.param("logreg", {"poly": True}, "permutation", marks=pytest.mark.slow),  # mixes columns
])
def test_preprocessing_variants(family, prep, explainer):
    model, X, _ = fitted("binary", family, prep)
    e = explain(model, X, **SMALL)
    assert e.explainer == explainer
    check_additive(e)


def test_regression_pca_is_folded():
    model, X, _ = fitted("regression", "ridge", {"pca": 0.95, "scale": "quantile"})
    e = explain(model, X, **SMALL)
    assert e.explainer == "linear"
    check_additive(e)
    check_output_is_the_models(e, model, "regression")


def test_one_hot_levels_and_text_terms_are_summed_into_their_column():
    model, X, _ = fitted("binary", "random_forest", {"encode": "onehot"})
    e = explain(model, X, **SMALL)
    assert set(e.values.columns) == set(MIXED_TYPES)  # no "colour_red", "review__great", "when__year"
    assert e.values["num_b"].abs().mean() > 0  # the signal column matters


def test_class_index_chooses_the_class():
    model, X, _ = fitted("binary", "logreg")
    yes = explain(model, X, class_index=1, **SMALL)
    no = explain(model, X, class_index=0, **SMALL)
    assert (yes.class_label, no.class_label) == ("yes", "no")
    np.testing.assert_allclose(no.values.to_numpy(), -yes.values.to_numpy(), atol=1e-12)
    forest, X, _ = fitted("binary", "random_forest")
    p_yes = explain(forest, X, class_index=1, **SMALL)
    p_no = explain(forest, X, class_index=0, **SMALL)
    np.testing.assert_allclose(p_yes.output + p_no.output, 1.0, atol=1e-9)
    with pytest.raises(DataError):
        explain(forest, X, class_index=5, **SMALL)


@pytest.mark.parametrize("family", ["random_forest", "lightgbm"])
def test_a_multiclass_tree_model_gives_every_class_in_one_pass(family):
    model, X, _ = fitted("multiclass", family)
    first = explain(model, X, class_index=0, **SMALL)
    assert first.explainer == "tree" and sorted(first.other_classes) == [1, 2]
    for index, other in first.other_classes.items():
        alone = explain(model, X, class_index=index, **SMALL)          # what a call for that class gives
        assert other.class_label == alone.class_label == model.classes_[index]
        np.testing.assert_allclose(other.values.to_numpy(), alone.values.to_numpy(), atol=1e-9)
        assert other.base_value == pytest.approx(alone.base_value) and other.output_kind == alone.output_kind
        np.testing.assert_allclose(other.output, alone.output, atol=1e-9)
        assert other.additivity_error() <= ADDITIVITY_TOLERANCE["tree"] and not other.other_classes
    assert not explain(fitted("binary", "random_forest")[0], X, **SMALL).other_classes     # binary: mirrored instead
    assert not explain(fitted("multiclass", "logreg")[0], X, **SMALL).other_classes         # one class per pass


@pytest.mark.slow
def test_automl_model_and_options(mixed_classification):
    from automl_engine import AutoML

    X, y = mixed_classification
    automl = AutoML(max_evals=3, strategy="random", random_state=0, learn=False, ensemble=False).fit(X, y)
    calls = []
    e = explain(automl, X, max_rows=25, background=15, progress=lambda f, m: calls.append(f))
    assert list(e.values.columns) == list(automl.column_types_)
    assert len(e.values) == 25
    check_additive(e)
    assert calls and calls[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in calls)
    assert e.importance().index[0] in automl.column_types_


@pytest.mark.slow
def test_background_rows_can_be_given_and_rng_is_left_alone():
    model, X, _ = fitted("regression", "svr")
    state = np.random.get_state()[1].copy()
    e = explain(model, X.iloc[:10], background=X.iloc[60:90], max_rows=10)
    assert np.array_equal(np.random.get_state()[1], state)
    assert e.n_background <= 30
    check_additive(e)
    again = explain(model, X.iloc[:10], background=X.iloc[60:90], max_rows=10)
    np.testing.assert_array_equal(e.values.to_numpy(), again.values.to_numpy())  # seeded


def test_pipeline_without_column_transformer_uses_raw_rows():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = X["a"] * 2 + X["b"]
    model = Pipeline([("model", KNeighborsRegressor(n_neighbors=5))]).fit(X, y)
    e = explain(model, X, max_rows=10, background=10)
    assert list(e.values.columns) == ["a", "b", "c"] and e.explainer == "permutation"
    check_additive(e)


def test_missing_columns_are_a_data_error():
    model, X, _ = fitted("binary", "decision_tree")
    with pytest.raises(DataError, match="'city'"):
        explain(model, X.drop(columns=["city"]))
    with pytest.raises(DataError):
        explain(model, X.iloc[:0])
