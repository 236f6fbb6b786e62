"""Cell-level cleaning shared by ``load_table`` and ``prepare_data``.

Missing-value markers become missing, text columns holding only numbers become numeric,
text columns holding dates become datetime64; ambiguous columns (numbers mixed with words,
dates that do not parse, infinite numbers) raise :class:`~automl_engine.errors.DataError`.
Private helpers of :mod:`automl_engine.intake`, which re-exports :func:`clean_table`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from ._readers import NA_MARKERS
from .errors import DataError

MIXED_NUMERIC_SHARE = 0.8
"""A text column whose values are at least this share numbers (by rows) but not all of them
is 'mixed' and refused."""
DATE_SHARE = 0.8
"""A text column whose values look like dates for at least this share of rows is a date column."""

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[ap]\.?m\.?)?)?(?:\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))?"
DATE_RE = re.compile(
    rf"(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[-/]\d{{1,2}}[-/]\d{{2,4}}"
    rf"|\d{{1,2}}\.\d{{1,2}}\.\d{{4}}|\d{{1,2}}[ -]{_MONTH}[\s,-]+\d{{2,4}}"
    rf"|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}){_TIME}", re.IGNORECASE)


def clean_table(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise cell values column by column, refusing ambiguous columns.

    Missing-value markers (``NA``, ``?``, ``-``, empty, ...) in text columns become missing,
    text columns holding only numbers become numeric, text columns holding dates become
    datetime64. Idempotent; ``load_table`` applies it, ``prepare_data`` applies it again so a
    frame that did not come from ``load_table`` gets the same treatment.

    Raises
    ------
    DataError
        Infinite numbers; a mostly numeric column with some non-numeric text; a date column
        with values that are not dates.
    """
    out = df.copy()
    for i, name in enumerate(df.columns):
        out.isetitem(i, _clean_column(str(name), df.iloc[:, i]))
    out.attrs = dict(df.attrs)
    return out


def _check_finite(name: str, s: pd.Series) -> None:
    if ptypes.is_bool_dtype(s) or ptypes.is_integer_dtype(s) or ptypes.is_complex_dtype(s):
        return
    n_inf = int(np.isinf(s.to_numpy(dtype=float, na_value=np.nan)).sum())
    if n_inf:
        raise DataError(f"Column '{name}' contains {n_inf} infinite value(s); replace them with "
                        f"finite numbers, or leave those cells empty if the value is unknown.")


def examples(values: Iterable, limit: int = 3) -> str:
    return ", ".join(f"'{v}'" for v in list(values)[:limit])


def _clean_column(name: str, s: pd.Series) -> pd.Series:
    if ptypes.is_bool_dtype(s) or ptypes.is_datetime64_any_dtype(s) or isinstance(
            s.dtype, pd.CategoricalDtype):
        return s
    if ptypes.is_timedelta64_dtype(s):
        return s.dt.total_seconds()
    if ptypes.is_numeric_dtype(s):
        _check_finite(name, s)
        return s
    present = s.notna()
    try:
        counts = s[present].value_counts(sort=False)
    except TypeError:  # unhashable cells (lists, dicts): compare their text
        s = s.astype(str).where(present)
        counts = s[present].value_counts(sort=False)
    if counts.empty:
        return s
    stripped = pd.Series(counts.index.astype(str), dtype="str").str.strip()
    is_na = stripped.str.lower().isin(NA_MARKERS).to_numpy()
    if is_na.any():
        s = s.mask(s.isin(counts.index[is_na]))
    keys, stripped, n = counts.index[~is_na], stripped[~is_na], counts.to_numpy()[~is_na]
    if len(keys) == 0:
        return s
    numbers = pd.to_numeric(stripped, errors="coerce").to_numpy(dtype=float)
    numeric = ~np.isnan(numbers)
    share = n[numeric].sum() / n.sum()
    if share == 1.0:
        converted = s.map(pd.Series(numbers, index=keys))
        values = converted.to_numpy(dtype=float, na_value=np.nan)
        if not np.isnan(values).any() and np.all(np.mod(values, 1) == 0) and np.all(
                np.abs(values) < 2**53):
            converted = converted.astype("int64")
        _check_finite(name, converted)
        return converted
    if share >= MIXED_NUMERIC_SHARE:
        order = np.argsort(-n[~numeric], kind="stable")
        raise DataError(f"Column '{name}' mixes numbers with text such as "
                        f"{examples(stripped[~numeric].iloc[order])}; make every value a number, "
                        f"or leave cells empty where the value is missing.")
    looks_like_date = stripped.str.fullmatch(DATE_RE).fillna(False).to_numpy(dtype=bool)
    if n[looks_like_date].sum() / n.sum() >= DATE_SHARE:
        parsed = parse_dates(stripped.reset_index(drop=True))
        failed = parsed.isna().to_numpy()
        if failed.any():
            raise DataError(f"Column '{name}' holds dates but {int(n[failed].sum())} value(s) "
                            f"cannot be read as a date, such as "
                            f"{examples(stripped[failed])}; fix those values or leave them empty.")
        return s.map(pd.Series(parsed.to_numpy(), index=keys))
    return s


def _to_datetime(values: pd.Series, **kwargs) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for utc in (False, True):
            try:
                return pd.to_datetime(values, errors="coerce", utc=utc, **kwargs)
            except (ValueError, TypeError, OverflowError):
                continue
    return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse date text, choosing month-first or day-first by how many values parse."""
    best, best_dayfirst = None, False
    for dayfirst in (False, True):
        parsed = _to_datetime(values, dayfirst=dayfirst)
        if best is None or parsed.isna().sum() < best.isna().sum():
            best, best_dayfirst = parsed, dayfirst
        if not best.isna().any():
            return best
    if len(values) <= 20_000:  # formats differ between rows: parse each value on its own
        mixed = _to_datetime(values, dayfirst=best_dayfirst, format="mixed")
        if mixed.isna().sum() < best.isna().sum():
            best = mixed
    return best
