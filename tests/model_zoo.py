"""Fitted pipelines of every catalogue family on small mixed tables, for the explain and model_io tests."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from tables import MIXED_TYPES, mixed_frame

from automl_engine.catalogue import build_pipeline, load_catalogue
from automl_engine.search.ensemble import EnsembleModel

CLASSIFICATION_FAMILIES = ("logreg", "linear_svm", "rbf_svm", "knn", "naive_bayes", "decision_tree", "random_forest",
                           "extra_trees", "hist_gradient_boosting", "lightgbm", "xgboost", "mlp", "adaboost",
                           "catboost")
REGRESSION_FAMILIES = ("ridge", "lasso", "elastic_net", "svr", "knn", "decision_tree", "random_forest", "extra_trees",
                       "hist_gradient_boosting", "lightgbm", "xgboost", "mlp", "catboost")
# Keep the tests quick: fewer trees / boosting iterations than some catalogue entries.
_SMALL = {"n_estimators": 20, "iterations": 20}
_SMALL_ITER = {"hist_gradient_boosting": 30, "mlp": 60}


def table(task: str, n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A mixed-type table (numbers with gaps, categories, high cardinality, dates, text) and its target."""
    X = mixed_frame(n=n, seed=seed)
    X["when"] = pd.to_datetime(X["when"])  # as intake's clean_table leaves it
    signal = X["num_b"].to_numpy() + (X["colour"] == "red").to_numpy() + 0.5 * np.nan_to_num(X["num_a"].to_numpy())
    if task == "regression":
        return X, 2 * signal + np.random.default_rng(seed).normal(scale=0.3, size=n)
    if task == "binary":
        return X, np.where(signal > np.median(signal), "yes", "no")
    return X, np.asarray(["low", "mid", "high"])[np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))]


def spec_for(task_type: str, family: str, prep: dict | None = None, params: dict | None = None):
    """The first catalogue spec of ``family``, with ``prep`` / ``params`` overrides."""
    spec = next(s for s in load_catalogue(task_type) if s.family == family)
    new_params = {k: (_SMALL[k] if k in _SMALL and isinstance(v, int) and v > _SMALL[k] else v)
                  for k, v in spec.params.items()}
    if family in _SMALL_ITER:
        new_params["max_iter"] = min(new_params.get("max_iter", 100), _SMALL_ITER[family])
    new_params.update(params or {})
    return dataclasses.replace(spec, params=new_params, prep={**spec.prep, **(prep or {})})


def fitted(task: str, family: str, prep: dict | None = None, n: int = 120, seed: int = 0):
    """(pipeline fitted on the table, X, y) for one family."""
    X, y = table(task, n, seed)
    task_type = "regression" if task == "regression" else "classification"
    pipe = build_pipeline(spec_for(task_type, family, prep), MIXED_TYPES, random_state=0)
    return pipe.fit(X, y), X, y


def fitted_ensemble(task: str, families=("logreg", "random_forest"), n: int = 120):
    """An EnsembleModel of two fitted pipelines, as AutoML builds it."""
    if task == "regression" and families == ("logreg", "random_forest"):
        families = ("ridge", "random_forest")
    members = [fitted(task, f, n=n)[0] for f in families]
    X, y = table(task, n)
    classes = None if task == "regression" else np.unique(y)
    return EnsembleModel(members, [0.6, 0.4], task, classes).fit(X, y), X, y
