"""Registry from the catalogue's estimator names to constructors: no eval, no getattr on modules."""
from __future__ import annotations

from typing import Any, Callable

from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    AdaBoostClassifier,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.svm import SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from xgboost import XGBClassifier, XGBRegressor

from automl_engine.catalogue.estimators import CalibratedSVC, CatBoostClassifierModel, CatBoostRegressorModel
from automl_engine.catalogue.steps import EncodedLabelClassifier


def _tuplify(params: dict) -> dict:
    """JSON lists become tuples where scikit-learn expects them (hidden layer sizes)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def _calibrated_linear_svc(**params):
    return CalibratedClassifierCV(LinearSVC(**params), cv=3)


def _adaboost(base_depth=1, **params):
    return AdaBoostClassifier(estimator=DecisionTreeClassifier(max_depth=base_depth), **params)


def _xgb_classifier(**params):
    return EncodedLabelClassifier(XGBClassifier(**params))


ESTIMATORS: dict[str, Callable[..., Any]] = {
    "LogisticRegression": LogisticRegression,
    "CalibratedLinearSVC": _calibrated_linear_svc,
    "CalibratedSVC": CalibratedSVC,
    "KNeighborsClassifier": KNeighborsClassifier,
    "GaussianNB": GaussianNB,
    "DecisionTreeClassifier": DecisionTreeClassifier,
    "RandomForestClassifier": RandomForestClassifier,
    "ExtraTreesClassifier": ExtraTreesClassifier,
    "HistGradientBoostingClassifier": HistGradientBoostingClassifier,
    "LGBMClassifier": LGBMClassifier,
    "XGBClassifier": _xgb_classifier,
    "MLPClassifier": MLPClassifier,
    "CatBoostClassifier": CatBoostClassifierModel,
    "AdaBoostClassifier": _adaboost,
    "Ridge": Ridge,
    "Lasso": Lasso,
    "ElasticNet": ElasticNet,
    "SVR": SVR,
    "KNeighborsRegressor": KNeighborsRegressor,
    "DecisionTreeRegressor": DecisionTreeRegressor,
    "RandomForestRegressor": RandomForestRegressor,
    "ExtraTreesRegressor": ExtraTreesRegressor,
    "HistGradientBoostingRegressor": HistGradientBoostingRegressor,
    "LGBMRegressor": LGBMRegressor,
    "XGBRegressor": XGBRegressor,
    "MLPRegressor": MLPRegressor,
    "CatBoostRegressor": CatBoostRegressorModel,
}

def make_estimator(name: str, params: dict, random_state: int | None = None):
    """Instantiate the registered estimator ``name`` with ``params``, seeded with ``random_state``.

    Every ``random_state`` the estimator has (its own and its inner estimators', found in
    ``get_params()``) gets the seed; estimators without one are deterministic.
    """
    if name not in ESTIMATORS:
        raise KeyError(f"unknown estimator {name!r} in the catalogue spec")
    estimator = ESTIMATORS[name](**_tuplify(params))
    seeds = {key: random_state for key in estimator.get_params(deep=True)
             if key == "random_state" or key.endswith("__random_state")}
    return estimator.set_params(**seeds) if seeds else estimator
