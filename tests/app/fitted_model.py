"""One small fitted AutoML shared by the Explain and Predict page tests.

Fit it before the first AppTest run of a test module: AppTest runs a page file as ``__main__``,
and evaluation workers started afterwards (forkserver) would re-run that page as ``__mp_main__``.
"""
import functools

import numpy as np
import pandas as pd

from automl_engine import AutoML
from tables import mixed_frame


@functools.cache
def fitted_automl():
    """(AutoML, training frame with its ``label`` target column)."""
    X = mixed_frame()
    y = pd.Series(np.where(X["num_b"] + (X["colour"] == "red") > 1.0, "yes", "no"), name="label")
    automl = AutoML(max_evals=3, strategy="random", random_state=0, learn=False, ensemble=False).fit(X, y)
    return automl, X.assign(label=y.to_numpy())
