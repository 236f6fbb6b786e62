"""How many rows of a table a search can hold in this machine's memory.

The prepared table is held once and shared with the workers (memory-mapped), but each worker copies
its fold's rows, the pipeline transforms them and the model keeps its own structures: a search
needs several times the table's size. A table whose search would not fit in the memory available
is sampled (a guardrail note says so) rather than left to make the machine swap.

Examples
--------
>>> rows_that_fit(bytes_per_row=160, available=16 * 2**30)   # 1,000,000 x 20 floats fits many times
9395240
"""
from __future__ import annotations

import pandas as pd
import psutil

from automl_engine.data.column_types import held_as_numpy_numbers

SEARCH_COPIES = 8
"""The table's size times this is what a search on it needs (measured: a search on a 1,000,000 x 20
float table, 153 MB, peaked at 1.96 GB for the whole process tree with 2 workers; less the Python and
library baseline of about 0.7 GB, that is 8 times the table)."""
USABLE_FRACTION = 0.7
"""Of the memory the system reports available, the share a search may plan to use."""
SAMPLE_ROWS = 10_000
"""Rows measured to estimate a table's bytes per row (strings are measured deeply)."""


def available_bytes() -> int:
    """Memory the system reports available now (free plus reclaimable caches)."""
    return int(psutil.virtual_memory().available)


def bytes_per_row(frame: pd.DataFrame, random_state: int = 0) -> float:
    """Bytes one row of ``frame`` takes in memory, strings included (measured on a sample of rows)."""
    if len(frame) == 0:
        return 0.0
    fixed = {column: held_as_numpy_numbers(dtype) for column, dtype in frame.dtypes.items()}
    held_as_numbers = sum(dtype.itemsize for column, dtype in frame.dtypes.items() if fixed[column])
    others = [column for column in frame.columns if not fixed[column]]
    if not others:  # a fixed width per cell: no need to measure (a wide table's columns one by one)
        return float(held_as_numbers)
    sample = frame[others].sample(n=min(len(frame), SAMPLE_ROWS), random_state=random_state)
    return held_as_numbers + float(sample.memory_usage(deep=True, index=False).sum()) / len(sample)


def rows_that_fit(bytes_per_row: float, available: int | None = None, copies: int = SEARCH_COPIES) -> int:
    """The most rows whose search (``copies`` times the table) fits in the usable share of ``available``."""
    available = available_bytes() if available is None else available
    per_row = max(float(bytes_per_row), 1.0) * copies
    return int(USABLE_FRACTION * available / per_row)
