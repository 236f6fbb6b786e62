"""Shared fixtures: small mixed-type tables."""
import numpy as np
import pytest
from tables import mixed_frame


@pytest.fixture
def mixed_classification():
    X = mixed_frame()
    y = np.where(X["num_b"] + (X["colour"] == "red") > 1.0, "yes", "no")
    return X, y


@pytest.fixture
def mixed_regression():
    X = mixed_frame(seed=1)
    y = 2 * X["num_b"].to_numpy() + (X["colour"] == "blue").to_numpy() + np.random.default_rng(1).normal(size=len(X))
    return X, y


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    """Every test gets its own user data folder (run history, local knowledge store)."""
    folder = tmp_path / "automl-data"
    monkeypatch.setenv("AUTOML_DATA_DIR", str(folder))
    return folder


def pytest_collection_modifyitems(items):
    """Browser tests are slow tests too: the fast tier (`-m "not slow"`) leaves them out."""
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(pytest.mark.slow)
