import numpy as np
import pytest

from automl_engine.catalogue import build_pipeline, load_catalogue, load_spec
from automl_engine.catalogue.enumerate import pipeline_id
from tables import MIXED_TYPES

CLASSIFICATION_FAMILIES = {"logreg", "linear_svm", "rbf_svm", "knn", "naive_bayes", "decision_tree", "random_forest",
                           "extra_trees", "hist_gradient_boosting", "lightgbm", "xgboost", "mlp", "adaboost"}
REGRESSION_FAMILIES = {"ridge", "lasso", "elastic_net", "svr", "knn", "decision_tree", "random_forest", "extra_trees",
                       "hist_gradient_boosting", "lightgbm", "xgboost", "mlp"}


def test_catalogue_sizes_and_families():
    clf, reg = load_catalogue("classification"), load_catalogue("regression")
    assert len(clf) >= 1000 and len(reg) >= 600
    assert set(clf.families) == CLASSIFICATION_FAMILIES
    assert set(reg.families) == REGRESSION_FAMILIES
    assert len(set(clf.ids)) == len(clf) and len(set(reg.ids)) == len(reg)


def test_enumeration_is_deterministic_and_ids_are_hashes_of_the_spec():
    first, second = load_catalogue("classification"), load_catalogue("classification")
    assert first.ids == second.ids
    spec = first[17]
    assert spec.id == pipeline_id(spec.task_type, spec.estimator, spec.params, spec.prep)
    assert first.index_of(spec.id) == 17


def test_descriptions_are_readable():
    for spec in load_catalogue("classification").pipelines[::97]:
        text = spec.description
        assert "→" in text and spec.label in text


def test_spec_is_versioned_package_data():
    spec = load_spec()
    assert spec["version"] and spec["families"]["classification"]


def _one_per_family(catalogue):
    seen = {}
    for spec in catalogue.pipelines:
        seen.setdefault(spec.family, spec)
    return list(seen.values())


@pytest.mark.parametrize("spec", _one_per_family(load_catalogue("classification")), ids=lambda s: s.family)
def test_every_classification_family_fits_and_predicts_raw_columns(spec, mixed_classification):
    X, y = mixed_classification
    model = build_pipeline(spec, MIXED_TYPES).fit(X, y)
    proba = model.predict_proba(X.head(7))
    assert proba.shape == (7, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X.head(7))) <= {"yes", "no"}


@pytest.mark.parametrize("spec", _one_per_family(load_catalogue("regression")), ids=lambda s: s.family)
def test_every_regression_family_fits_and_predicts_raw_columns(spec, mixed_regression):
    X, y = mixed_regression
    model = build_pipeline(spec, MIXED_TYPES).fit(X, y)
    assert np.isfinite(model.predict(X.head(5))).all()


def test_every_catalogue_pipeline_builds():
    for task_type in ("classification", "regression"):
        for spec in load_catalogue(task_type).pipelines:
            pipe = build_pipeline(spec, MIXED_TYPES)
            assert pipe.steps[-1][0] == "model"


def test_pipeline_ignores_columns_it_was_not_given(mixed_classification):
    X, y = mixed_classification
    spec = load_catalogue("classification")[0]
    model = build_pipeline(spec, {"num_a": "numeric", "colour": "categorical"}).fit(X, y)
    extra = X.assign(unrelated=1.0)
    assert (model.predict(extra) == model.predict(X)).all()
