"""Test-only estimators that crash, hang or exhaust memory, to check that evaluation contains them."""
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
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
