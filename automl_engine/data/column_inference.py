"""Column kinds: what each column of a table is (numeric, categorical, id, ...) and why.

``infer_column_types`` types every column by the rules in its docstring. Columns held as NumPy numbers,
the bulk of a wide table, are typed together in a few array passes; the others (and numbers that may be
ids or constants) one by one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from automl_engine.data.cleaning import DATE_RE, DATE_SHARE, examples, number_blocks, parse_dates
from automl_engine.data.column_types import (
    BOOLEAN,
    CATEGORICAL,
    CONSTANT,
    DATETIME,
    HIGH_CARDINALITY,
    ID_LIKE,
    NUMERIC,
    TEXT,
)

CATEGORICAL_MAX_DISTINCT = 20
"""Text columns with at most this many distinct values are categorical, above: high cardinality."""
TEXT_MIN_WORDS = 3.0
TEXT_MIN_DISTINCT_SHARE = 0.5
ID_MIN_ROWS = 20

_TRUTH_PAIRS = ({"true", "false"}, {"yes", "no"}, {"y", "n"}, {"t", "f"}, {"on", "off"})
_ID_NAMES = {"id", "uuid", "guid", "key", "index", "idx", "row", "rownum", "row_number", "rowid",
             "row_id", "record_id", "unnamed: 0", "rownames", "row.names", "row_names"}   # R's write.csv, Rdatasets


@dataclass(frozen=True)
class ColumnInfo:
    """What intake concluded about one column.

    Attributes
    ----------
    name : str
    kind : str
        One of the kinds in :mod:`automl_engine.data.column_types`.
    reason : str
        Why, as a short phrase, e.g. ``"text with 3 distinct values → categorical"``.
    n_missing : int
    n_distinct : int
        Distinct non-missing values.
    dtype : str
        The pandas dtype of the column.
    """

    name: str
    kind: str
    reason: str
    n_missing: int
    n_distinct: int
    dtype: str = ""


def _looks_like_id_name(name: str) -> bool:
    low = name.strip().lower()
    return (low in _ID_NAMES or re.search(r"(^|[^a-z])(id|uuid|guid)$", low) is not None
            or re.search(r"[a-z](ID|Id)$", name.strip()) is not None)


def _column_info(name: str, s: pd.Series, is_target: bool) -> ColumnInfo:
    n_missing = int(s.isna().sum())
    values = s.dropna()
    try:
        n_distinct = int(values.nunique())
    except TypeError:
        values = values.astype(str)
        n_distinct = int(values.nunique())
    n = len(values)

    def info(kind: str, reason: str) -> ColumnInfo:
        return ColumnInfo(name, kind, reason, n_missing, n_distinct, str(s.dtype))

    if n == 0:
        return info(CONSTANT, "every value is missing → constant")
    if n_distinct == 1:
        value = values.iloc[0]
        if n_missing == 0:
            return info(CONSTANT, f"the same value ('{value}') in every row → constant")
        return info(CATEGORICAL, f"one value ('{value}') or missing → categorical "
                                 f"(present vs missing)")
    unique_per_row = n_distinct == len(s) and n_missing == 0
    id_name = _looks_like_id_name(name)
    if ptypes.is_bool_dtype(s):
        return info(BOOLEAN, "true/false values → boolean")
    if ptypes.is_datetime64_any_dtype(s):
        return info(DATETIME, "dates and times → datetime")
    if ptypes.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
        numbers = values.to_numpy(dtype=float)
        integral = bool(np.all(np.mod(numbers, 1) == 0))
        if not is_target and integral and unique_per_row:
            diffs = np.diff(numbers)
            if id_name:
                return info(ID_LIKE, "a different whole number in every row and an ID-like "
                                     "name → id")
            if len(s) >= ID_MIN_ROWS and (np.all(diffs > 0) or np.all(diffs < 0)):
                return info(ID_LIKE, "a different whole number in every row, in order → id")
        if n_distinct == 2 and set(np.unique(numbers)) == {0.0, 1.0}:
            return info(NUMERIC, "numbers with 2 distinct values (0 and 1) → numeric "
                                 "(kept as a 0/1 indicator)")
        return info(NUMERIC, f"numbers with {n_distinct} distinct values → numeric")
    text = values.astype(str)
    if n_distinct == 2:
        lowered = set(text.str.strip().str.lower().unique())
        if any(lowered <= pair for pair in _TRUTH_PAIRS):
            return info(BOOLEAN, f"two values ({examples(sorted(values.unique(), key=str))}) "
                                 f"→ boolean")
    sample = text.sample(n=min(n, 5000), random_state=0) if n > 5000 else text
    if pd.to_numeric(sample.str.strip(), errors="coerce").notna().all():
        return info(NUMERIC, "numbers stored as text → numeric")
    if sample.str.strip().str.fullmatch(DATE_RE).mean() >= DATE_SHARE and \
            parse_dates(sample.str.strip()).notna().mean() >= DATE_SHARE:
        return info(DATETIME, "text that reads as dates → datetime")
    mean_words = float(sample.str.split().str.len().mean())
    distinct_share = n_distinct / n
    if (n_distinct > CATEGORICAL_MAX_DISTINCT and distinct_share >= TEXT_MIN_DISTINCT_SHARE
            and mean_words >= TEXT_MIN_WORDS):
        return info(TEXT, f"free text ({mean_words:.1f} words on average, {distinct_share:.0%} "
                          f"distinct) → text")
    if not is_target and unique_per_row and (id_name or len(s) >= ID_MIN_ROWS):
        return info(ID_LIKE, "a different value in every row → id")
    if n_distinct <= CATEGORICAL_MAX_DISTINCT:
        return info(CATEGORICAL, f"text with {n_distinct} distinct values → categorical")
    return info(HIGH_CARDINALITY, f"text with {n_distinct} distinct values → high-cardinality "
                                  f"categorical")


def infer_column_types(df: pd.DataFrame, target: str | None = None) -> dict[str, ColumnInfo]:
    """Assign a kind to every column, with the reason.

    Rules, in order: all missing or one value in every row → constant (one value plus
    missing cells → categorical, present vs missing); bool dtype → boolean; datetime dtype →
    datetime; numbers: whole numbers different in every row with an ID-like name (``id``,
    ``customer_id``, ``PassengerId``...) or strictly increasing/decreasing (>= 20 rows) → id,
    otherwise numeric (0/1 columns stay numeric); text: exactly two values that are
    true/false, yes/no, y/n, t/f or on/off → boolean; numbers stored as text → numeric; dates
    → datetime; more than 20 distinct values, at least half of them distinct and >= 3 words on
    average → text; a different value in every row (ID-like name, or >= 20 rows) → id;
    <= 20 distinct values → categorical; otherwise high-cardinality. The target is never id.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"color": ["red", "blue", "red"], "size": [1.0, 2.5, 3.0]})
    >>> {k: v.kind for k, v in infer_column_types(df).items()}
    {'color': 'categorical', 'size': 'numeric'}
    """
    names = [str(c) for c in df.columns]
    typed = _number_column_infos(df, names, target)
    return {name: typed[i] if i in typed else _column_info(name, df.iloc[:, i], name == target)
            for i, name in enumerate(names)}


def _number_column_infos(df: pd.DataFrame, names: list[str], target: str | None) -> dict[int, ColumnInfo]:
    """``_column_info`` of the NumPy number columns (:func:`number_blocks`), computed a block at a time, for
    the columns that come out as plain numeric; the others (constant, one value, possible ids) are left out
    for the column-by-column rules."""
    infos: dict[int, ColumnInfo] = {}
    for dtype, members, block in number_blocks(df):
        missing = np.isnan(block) if dtype.kind == "f" else np.zeros(block.shape, dtype=bool)
        n_missing = missing.sum(axis=0)
        ordered = np.sort(block, axis=0)  # NaN last
        steps = np.diff(ordered, axis=0) != 0
        if dtype.kind == "f":
            steps &= ~np.isnan(ordered[1:])
        n_present = len(block) - n_missing
        n_distinct = (n_present > 0) + steps.sum(axis=0)
        whole = (np.mod(np.where(missing, 0, block), 1) == 0).all(axis=0) if dtype.kind == "f" \
            else np.ones(len(members), dtype=bool)
        possible_id = whole & (n_distinct == len(block)) & (n_missing == 0)
        low, high = ordered[0], ordered[np.maximum(n_present - 1, 0), np.arange(len(members))]
        for j, i in enumerate(members):
            if n_distinct[j] < 2 or (possible_id[j] and names[i] != target):
                continue
            reason = ("numbers with 2 distinct values (0 and 1) → numeric (kept as a 0/1 indicator)"
                      if n_distinct[j] == 2 and low[j] == 0 and high[j] == 1
                      else f"numbers with {n_distinct[j]} distinct values → numeric")
            infos[i] = ColumnInfo(names[i], NUMERIC, reason, int(n_missing[j]), int(n_distinct[j]), str(dtype))
    return infos
