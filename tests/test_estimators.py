"""The estimators written for catalogue 1.1: the calibrated RBF SVM and the CatBoost wrappers."""
import os
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from model_zoo import spec_for, table
from sklearn.base import clone
from sklearn.datasets import load_iris
from tables import MIXED_TYPES

from automl_engine.catalogue import build_pipeline, load_catalogue
from automl_engine.catalogue.estimators import CalibratedSVC, CatBoostClassifierModel, CatBoostRegressorModel
from automl_engine.model.skops_io import load_model, model_bytes


@pytest.mark.parametrize("labels", ["strings", "integers"])
def test_calibrated_svc_probabilities_sum_to_one_without_probability_true(labels):
    X, y = load_iris(return_X_y=True)
    if labels == "strings":
        y = np.array(["setosa", "versicolor", "virginica"])[y]
    with warnings.catch_warnings():  # scikit-learn 1.9 deprecates probability=True with a FutureWarning
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        model = CalibratedSVC(C=4.0, gamma="scale", random_state=0).fit(X, y)
    assert model.svc_.probability is not True  # no SVC(probability=True) anywhere
    proba = model.predict_proba(X)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1.0) and (proba >= 0).all()
    assert list(model.classes_) == sorted(set(y))
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert (model.predict(X) == y).mean() > 0.9


def test_calibrated_svc_fits_with_a_class_of_one_row():
    X, y = load_iris(return_X_y=True)
    X, y = np.vstack([X[:40], X[50:51]]), np.r_[y[:40], y[50:51]]
    proba = CalibratedSVC(random_state=0).fit(X, y).predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_calibrated_svc_is_deterministic_and_clones():
    X, y = load_iris(return_X_y=True)
    a = CalibratedSVC(C=1.0, random_state=3).fit(X, y).predict_proba(X)
    b = clone(CalibratedSVC(C=1.0, random_state=3)).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_catboost_pipeline_classifies_string_labels_with_categories_and_gaps(task, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # CatBoost would write catboost_info/ here if it were allowed to
    X, y = table(task, n=120)
    assert X.isna().any().any() and y.dtype.kind in "OU"  # missing values, string labels
    pipe = build_pipeline(spec_for("classification", "catboost"), MIXED_TYPES, random_state=0).fit(X, y)
    proba = pipe.predict_proba(X.head(9))
    assert proba.shape == (9, len(set(y))) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(pipe.predict(X)) <= set(y) and (pipe.predict(X) == y).mean() > 0.6
    assert os.listdir(tmp_path) == []


def test_catboost_pipeline_regresses_and_round_trips_through_a_model_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y = table("regression", n=120)
    pipe = build_pipeline(spec_for("regression", "catboost"), MIXED_TYPES, random_state=0).fit(X, y)
    pred = pipe.predict(X)
    assert np.isfinite(pred).all() and np.corrcoef(pred, y)[0, 1] > 0.8
    np.testing.assert_allclose(load_model(model_bytes(pipe)).predict(X), pred)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(pipe)).predict(X), pred)
    np.testing.assert_allclose(pipe.predict(X), pred)  # saving a model leaves it fitted (the app explains it after)
    assert os.listdir(tmp_path) == []


def test_catboost_wrappers_are_seeded_and_single_threaded():
    X, y = load_iris(return_X_y=True)
    a = CatBoostClassifierModel(iterations=30, random_state=5).fit(X, y)
    b = CatBoostClassifierModel(iterations=30, random_state=5).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    params = a.model_.get_params()
    assert params["thread_count"] == 1 and params["random_seed"] == 5 and params["allow_writing_files"] is False
    reg = CatBoostRegressorModel(iterations=20, random_state=0).fit(pd.DataFrame(X[:, 1:]), X[:, 0])
    assert reg.predict(X[:4, 1:]).shape == (4,)


def test_every_catboost_pipeline_builds_with_its_parameters():
    for task_type in ("classification", "regression"):
        for spec in load_catalogue(task_type):
            if spec.family == "catboost":
                model = build_pipeline(spec, MIXED_TYPES).steps[-1][1]
                assert model.depth == spec.params["depth"] and model.iterations == spec.params["iterations"]
