"""One small fitted AutoML shared by the Explain and Predict page tests, and keeping ``__main__``.

AppTest runs the app's script as ``__main__`` and leaves it there; evaluation workers started while it
is (forkserver) would re-run that script as ``__mp_main__``. So the model is fitted before the first
AppTest run of a module, and ``keep_main_module`` puts the real ``__main__`` back after each test.
"""
import functools
import sys

import numpy as np
import pandas as pd
import pytest
from tables import mixed_frame

from automl_engine import AutoML


@functools.cache
def fitted_automl():
    """(AutoML, training frame with its ``label`` target column)."""
    X = mixed_frame()
    y = pd.Series(np.where(X["num_b"] + (X["colour"] == "red") > 1.0, "yes", "no"), name="label")
    automl = AutoML(max_evals=3, strategy="random", random_state=0, learn=False, ensemble=False).fit(X, y)
    return automl, X.assign(label=y.to_numpy())


@pytest.fixture(autouse=True)
def keep_main_module():
    """Restore ``sys.modules["__main__"]`` after a test that ran a page file with AppTest."""
    main = sys.modules.get("__main__")
    yield
    sys.modules["__main__"] = main


@functools.cache
def fitted_multiclass_forest():
    """(AutoML whose model is a random forest over three classes, training frame with its ``label`` column).

    The search is a real one; its model is then a catalogue random forest fitted on the same rows, so
    that the Explain page meets a tree model of a multiclass task whatever the search picked.
    """
    from automl_engine.catalogue import build_pipeline

    X = mixed_frame()
    signal = X["num_b"].to_numpy() + (X["colour"] == "red").to_numpy()
    y = pd.Series(np.asarray(["low", "mid", "high"])[np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3]))],
                  name="label")
    automl = AutoML(max_evals=2, strategy="random", random_state=0, learn=False, ensemble=False, n_folds=3).fit(X, y)
    spec = next(s for s in automl.catalogue_ if s.family == "random_forest")
    forest = build_pipeline(spec, automl.column_types_, 0).fit(automl._as_frame(X), y)
    automl.model_ = automl.best_pipeline_ = forest
    return automl, X.assign(label=y.to_numpy())
