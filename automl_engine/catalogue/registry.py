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

# Estimators that accept ``random_state``; the others are deterministic.
_SEEDED = {
    "LogisticRegression", "CalibratedSVC", "DecisionTreeClassifier", "RandomForestClassifier",
    "ExtraTreesClassifier", "HistGradientBoostingClassifier", "LGBMClassifier", "XGBClassifier",
    "MLPClassifier", "AdaBoostClassifier", "Lasso", "ElasticNet", "DecisionTreeRegressor",
    "RandomForestRegressor", "ExtraTreesRegressor", "HistGradientBoostingRegressor",
    "LGBMRegressor", "XGBRegressor", "MLPRegressor", "CatBoostClassifier", "CatBoostRegressor",
}


def _tuplify(params: dict) -> dict:
    """JSON lists become tuples where scikit-learn expects them (hidden layer sizes)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def _calibrated_linear_svc(random_state=None, **params):
    return CalibratedClassifierCV(LinearSVC(random_state=random_state, **params), cv=3)


def _adaboost(random_state=None, base_depth=1, **params):
    return AdaBoostClassifier(
        estimator=DecisionTreeClassifier(max_depth=base_depth, random_state=random_state),
        random_state=random_state,
        **params,
    )


def _xgb_classifier(random_state=None, **params):
    return EncodedLabelClassifier(XGBClassifier(random_state=random_state, **params))


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

SEEDED_FACTORIES = _SEEDED | {"CalibratedLinearSVC", "AdaBoostClassifier", "XGBClassifier"}


def make_estimator(name: str, params: dict, random_state: int | None = None):
    """Instantiate the registered estimator ``name`` with ``params``."""
    if name not in ESTIMATORS:
        raise KeyError(f"unknown estimator {name!r} in the catalogue spec")
    kwargs = _tuplify(params)
    if name in SEEDED_FACTORIES:
        kwargs["random_state"] = random_state
    return ESTIMATORS[name](**kwargs)
