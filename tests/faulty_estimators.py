"""Test-only estimators that crash, hang, exhaust memory or are slow, to check that evaluation and explanations
contain them."""
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.dummy import DummyClassifier


class CrashingClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("deliberate crash")


class HangingClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        time.sleep(3600)


class MemoryHungryClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.blob_ = np.ones(8 * 1024**3 // 8)  # 8 GiB
        return self


class SegfaultingClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        import os
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


class SlowDummyClassifier(DummyClassifier):
    def fit(self, X, y, sample_weight=None):
        time.sleep(0.2)
        return super().fit(X, y, sample_weight)


class SlowLinearRegressor(RegressorMixin, BaseEstimator):
    """Least squares whose predict sleeps ``delay`` seconds per row (a stand-in for a slow kernel model);
    ``rows_predicted_`` counts the rows it was asked about."""

    def __init__(self, delay: float = 1e-4):
        self.delay = delay

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        design = np.column_stack([X, np.ones(len(X))])
        solution = np.linalg.lstsq(design, np.asarray(y, dtype=float), rcond=None)[0]
        self.coef_, self.intercept_ = solution[:-1], solution[-1]
        self.rows_predicted_ = 0
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        self.rows_predicted_ += len(X)
        time.sleep(self.delay * len(X))
        return X @ self.coef_ + self.intercept_
