"""Catalogue estimators written for this project: an RBF SVM with calibrated probabilities, and CatBoost.

Both are plain scikit-learn estimators (``__init__`` stores its arguments, ``fit`` does the work,
learned attributes end in ``_``), so pipelines clone, cross-validate and save them like the others.
"""
from __future__ import annotations

import numbers
import os
import tempfile
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import LabelEncoder
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

__all__ = ["CalibratedSVC", "CatBoostClassifierModel", "CatBoostRegressorModel"]


class CalibratedSVC(ClassifierMixin, BaseEstimator):
    """A kernel SVM with Platt-calibrated probabilities, without ``SVC(probability=True)``.

    ``SVC(probability=True)`` (removed in scikit-learn 1.11) fitted Platt's sigmoid on the decision
    values of an internal 5-fold cross-validation and then the SVM on all rows. This estimator does
    the same with public parts: ``CalibratedClassifierCV(method="sigmoid", ensemble=False)`` fits
    the sigmoid on out-of-fold decision values (``cv`` stratified folds, one-vs-rest for several
    classes) and one SVM on all rows. Fitting costs that SVM plus ``cv`` fold SVMs on 2/3 of the
    rows (``SVC(probability=True)`` fitted five on 4/5). ``predict`` is the most probable class,
    so predictions agree with the probabilities that cross-validation scored (balanced accuracy
    is computed from them) and the ensemble combines. A softmax of the decision function would
    be cheaper but uncalibrated (its temperature is arbitrary), which matters to the ensemble and
    to probability metrics.

    With a class of fewer than two rows no fold split exists; the sigmoid is then fitted on the
    SVM's in-sample decision values.

    Parameters
    ----------
    C, kernel, gamma, class_weight, cache_size : as in :class:`sklearn.svm.SVC`
    cv : int, number of stratified folds for the calibration (fewer if a class is smaller)
    random_state : int or None, shuffles the calibration folds

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> model = CalibratedSVC(C=1.0, random_state=0).fit(X, y)
    >>> bool(abs(model.predict_proba(X[:5]).sum(axis=1) - 1).max() < 1e-9)
    True
    """

    def __init__(self, C=1.0, kernel="rbf", gamma="scale", class_weight=None, cache_size=200, cv=3,
                 random_state=None):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.class_weight = class_weight
        self.cache_size = cache_size
        self.cv = cv
        self.random_state = random_state

    def _svc(self) -> SVC:
        return SVC(C=self.C, kernel=self.kernel, gamma=self.gamma, class_weight=self.class_weight,
                   cache_size=self.cache_size)

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        n_splits = int(min(self.cv, counts.min()))
        if n_splits >= 2:
            folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
            self.calibrated_ = CalibratedClassifierCV(self._svc(), method="sigmoid", cv=folds, ensemble=False)
            self.calibrated_.fit(X, y)
            self.svc_ = self.calibrated_.calibrated_classifiers_[0].estimator
        else:
            self.svc_ = self._svc().fit(X, y)
            with warnings.catch_warnings():  # "the least populated class has only 1 member": known here
                warnings.simplefilter("ignore", UserWarning)
                self.calibrated_ = CalibratedClassifierCV(FrozenEstimator(self.svc_), method="sigmoid").fit(X, y)
        self.n_features_in_ = self.svc_.n_features_in_
        return self

    def decision_function(self, X):
        check_is_fitted(self, "svc_")
        return self.svc_.decision_function(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_proba(self, X):
        check_is_fitted(self, "svc_")
        return self.calibrated_.predict_proba(X)


def _seed(random_state) -> int:
    if random_state is None:
        return 0
    if isinstance(random_state, numbers.Integral):
        return int(random_state) % (2**31 - 1)
    return int(random_state.randint(2**31 - 1))  # a RandomState


class _CatBoostModel(BaseEstimator):
    """Shared parts of the CatBoost wrappers: parameters, single-threaded quiet fits, no files written.

    The fitted CatBoost model is kept in ``model_``; pickling and skops files hold it as CatBoost's
    own binary model format (``model_cbm_``), restored with ``load_model(blob=...)``, so saving a
    pipeline needs no CatBoost type to be trusted.
    """

    def __init__(self, iterations=200, learning_rate=0.05, depth=6, l2_leaf_reg=3.0, grow_policy="SymmetricTree",
                 thread_count=1, random_state=None):
        self.iterations = iterations
        self.learning_rate = learning_rate
        self.depth = depth
        self.l2_leaf_reg = l2_leaf_reg
        self.grow_policy = grow_policy
        self.thread_count = thread_count
        self.random_state = random_state

    @staticmethod
    def _catboost_class():
        raise NotImplementedError

    def _new_model(self, **extra):
        return self._catboost_class()(iterations=int(self.iterations), learning_rate=float(self.learning_rate),
                   depth=int(self.depth), l2_leaf_reg=float(self.l2_leaf_reg), grow_policy=self.grow_policy,
                   thread_count=int(self.thread_count), random_seed=_seed(self.random_state),
                   verbose=False, allow_writing_files=False, **extra)

    @staticmethod
    def _features(X) -> np.ndarray:
        return np.asarray(X, dtype=np.float64)

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns the live __dict__ itself
        model = state.pop("model_", None)
        if model is not None:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.cbm")
                model.save_model(path, format="cbm")
                with open(path, "rb") as f:
                    state["model_cbm_"] = f.read()
        return state

    def __setstate__(self, state):
        state = dict(state)
        blob = state.pop("model_cbm_", None)
        super().__setstate__(state)
        if blob is not None:
            model = self._new_model()
            model.load_model(blob=bytes(blob))
            self.model_ = model


class CatBoostClassifierModel(ClassifierMixin, _CatBoostModel):
    """CatBoost gradient boosting for classification, any labels (encoded to 0..k-1 for CatBoost).

    Parameters
    ----------
    iterations, learning_rate, depth, l2_leaf_reg, grow_policy : as in ``catboost.CatBoostClassifier``
    thread_count : int, threads (1: the evaluations already run one per core)
    random_state : int or None, CatBoost's ``random_seed``

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> model = CatBoostClassifierModel(iterations=20, random_state=0).fit(X, y)
    >>> model.predict_proba(X[:2]).shape
    (2, 3)
    """

    @staticmethod
    def _catboost_class():
        from catboost import CatBoostClassifier

        return CatBoostClassifier

    def fit(self, X, y):
        encoder = LabelEncoder().fit(np.asarray(y))
        self.classes_ = encoder.classes_
        codes = encoder.transform(np.asarray(y))
        loss = "Logloss" if len(self.classes_) <= 2 else "MultiClass"
        self.model_ = self._new_model(loss_function=loss).fit(self._features(X), codes)
        self.n_features_in_ = int(np.shape(X)[1])
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict_proba(self._features(X)), dtype=float)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class CatBoostRegressorModel(RegressorMixin, _CatBoostModel):
    """CatBoost gradient boosting for regression (RMSE loss).

    Parameters are those of :class:`CatBoostClassifierModel`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> X, y = load_diabetes(return_X_y=True)
    >>> CatBoostRegressorModel(iterations=20, random_state=0).fit(X, y).predict(X[:3]).shape
    (3,)
    """

    @staticmethod
    def _catboost_class():
        from catboost import CatBoostRegressor

        return CatBoostRegressor

    def fit(self, X, y):
        self.model_ = self._new_model(loss_function="RMSE").fit(self._features(X), np.asarray(y, dtype=float))
        self.n_features_in_ = int(np.shape(X)[1])
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict(self._features(X)), dtype=float)
