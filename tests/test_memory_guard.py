"""A table whose search would not fit in memory is sampled with a note, or refused; never left to swap."""
import numpy as np
import pandas as pd
import pytest

import automl_engine.data.intake as intake
import automl_engine.data.memory as memory
from automl_engine import DataError
from automl_engine.data.intake import prepare_data


def _frame(n=20_000):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "city": rng.choice(["x", "yy"], n),
                         "y": rng.integers(0, 2, n)})


def _pretend_available(monkeypatch, nbytes):
    monkeypatch.setattr(memory, "available_bytes", lambda: nbytes)
    monkeypatch.setattr(intake, "available_bytes", lambda: nbytes)


def test_bytes_per_row_counts_strings_deeply():
    frame = pd.DataFrame({"x": np.zeros(100), "s": ["a" * 100] * 100})
    assert memory.bytes_per_row(frame) > 8 + 100


def test_a_table_too_big_for_memory_is_sampled_with_a_note(monkeypatch):
    frame = _frame()
    per_row = memory.bytes_per_row(frame)
    _pretend_available(monkeypatch, int(5000 * per_row * memory.SEARCH_COPIES / memory.USABLE_FRACTION))
    data = prepare_data(frame, "y")
    assert 4900 <= len(data.X) <= 5000
    check = next(c for c in data.report.checks if c.name == "sub_sampling")
    assert check.status == "fixed" and "memory" in check.message and f"{len(data.X):,}" in check.action


def test_a_table_that_fits_is_not_sampled(monkeypatch):
    _pretend_available(monkeypatch, 16 * 2**30)
    data = prepare_data(_frame(), "y")
    assert len(data.X) == 20_000
    assert next(c for c in data.report.checks if c.name == "sub_sampling").status == "passed"


def test_no_room_even_for_a_small_sample_is_one_sentence(monkeypatch):
    _pretend_available(monkeypatch, 1000)
    with pytest.raises(DataError, match="more memory than this machine has available"):
        prepare_data(_frame(), "y")
