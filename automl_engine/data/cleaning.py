"""Cell-level cleaning shared by ``load_table`` and ``prepare_data``.

Missing-value markers become missing (those like ``-`` or ``?`` only where their column says so),
text columns holding only numbers become numeric (``1,234,567.89`` with its thousands separators too),
text columns holding dates become datetime64, and a column of a few values mixing numbers with text
(buckets such as ``<5``, ``5`` … ``9``, ``10+``) stays text, read as categories; ambiguous columns
(many numbers mixed with words, dates that do not parse, infinite numbers) raise
:class:`~automl_engine.errors.DataError`.
Private helpers of :mod:`automl_engine.data.intake`, which re-exports :func:`clean_table`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from automl_engine.data.column_types import category_text, held_as_numpy_numbers
from automl_engine.data.readers import CONTEXT_NA_MARKERS, NA_MARKERS
from automl_engine.errors import DataError

MIXED_NUMERIC_SHARE = 0.8
"""A text column whose values are at least this share numbers (by rows) but not all of them
is 'mixed': read as categories when it has few distinct values, refused otherwise."""
MIXED_CATEGORIES_MAX_VALUES = 20
"""A mixed column with at most this many distinct values is a set of categories (buckets such as
``<5``, ``5`` … ``9``, ``10+``); with more, its text values are more likely typos in a number column."""
MISSING_MARKERS_ATTR = "missing_markers"
"""``DataFrame.attrs`` key: {column: [cell values read as missing]}, for the guardrail report."""
MIXED_CATEGORIES_ATTR = "mixed_categories"
"""``DataFrame.attrs`` key: {column: [its text values]} for the mixed columns read as categories."""
DATE_SHARE = 0.8
"""A text column whose values look like dates for at least this share of rows is a date column."""
_GROUPED = {  # thousands separator → (every value fits, a value uses the separator)
    ",": (re.compile(r"[+-]?\d{1,3}(?:,\d{3})*(?:\.\d+)?"), re.compile(r".*\d,\d{3}.*")),
    ".": (re.compile(r"[+-]?\d{1,3}(?:\.\d{3})*(?:,\d+)?"), re.compile(r".*\d\.\d{3}.*,\d+|.*\.\d{3}\.\d{3}.*")),
}

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[ap]\.?m\.?)?)?(?:\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))?"
DATE_RE = re.compile(
    rf"(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[-/]\d{{1,2}}[-/]\d{{2,4}}"
    rf"|\d{{1,2}}\.\d{{1,2}}\.\d{{4}}|\d{{1,2}}[ -]{_MONTH}[\s,-]+\d{{2,4}}"
    rf"|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}){_TIME}", re.IGNORECASE)


def clean_table(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise cell values column by column, refusing ambiguous columns.

    Missing-value markers (``NA``, ``null``, empty, ...) in text columns become missing; the
    context markers (``-``, ``.``, ``?``, ``none``, ...) become missing in an otherwise numeric
    column and where nothing else in the column looks like them, and stay values where the
    column makes them labels (``+`` / ``-``; ``none`` among other words). Text columns holding
    only numbers become numeric, text columns holding dates become datetime64. A column mixing
    numbers with text stays text (categories) when it has at most ``MIXED_CATEGORIES_MAX_VALUES``
    distinct values. The markers read as missing are listed per column in
    ``attrs["missing_markers"]``, the text values of the mixed columns read as categories in
    ``attrs["mixed_categories"]``. Idempotent; ``load_table``
    applies it, ``prepare_data`` applies it again so a frame that did not come from
    ``load_table`` gets the same treatment.

    Raises
    ------
    DataError
        Infinite numbers; a mostly numeric column of many values with some non-numeric text; a
        date column with values that are not dates.
    """
    out = df.copy()
    markers = dict(df.attrs.get(MISSING_MARKERS_ATTR, {}))
    mixed = dict(df.attrs.get(MIXED_CATEGORIES_ATTR, {}))
    _check_finite_blocks(df)  # number columns need no cleaning: checked together, not one by one
    skip = set(plain_number_positions(df))
    for i, name in enumerate(df.columns):
        if i in skip:
            continue
        cleaned, read_as_missing, text_values = _clean_column(str(name), df.iloc[:, i])
        out.isetitem(i, cleaned)
        if read_as_missing:
            markers[str(name)] = sorted(set(markers.get(str(name), [])) | set(read_as_missing))
        if text_values:
            mixed[str(name)] = text_values
    out.attrs = dict(df.attrs)
    if markers:
        out.attrs[MISSING_MARKERS_ATTR] = markers
    if mixed:
        out.attrs[MIXED_CATEGORIES_ATTR] = mixed
    return out


def _context_markers_missing(stripped: pd.Series, is_marker: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Per distinct value: would a context marker here mean "missing"?

    Yes in a column with nothing else, or whose other values are all numbers (``.`` or ``-`` for
    an unknown measurement); no for a word such as ``none`` among other words, or for a symbol
    such as ``-`` beside other values made of symbols only (a ``+`` / ``-`` label).
    """
    others = ~is_marker
    if not others.any() or numeric[others].all():
        return np.ones(len(stripped), dtype=bool)
    has_word_character = stripped.str.contains(r"[^\W_]", regex=True).fillna(False).to_numpy(dtype=bool)
    symbol_labels = (others & ~has_word_character).any()
    return ~(has_word_character | symbol_labels)


def plain_number_positions(df: pd.DataFrame) -> list[int]:
    """Positions of the columns held as NumPy integers or floats (not bool, not extension types): the bulk
    of a wide table, which cleaning, typing and checks handle as one block instead of column by column."""
    return [i for i, dtype in enumerate(df.dtypes) if held_as_numpy_numbers(dtype, bools=False)]


def number_blocks(df: pd.DataFrame) -> list[tuple[np.dtype, list[int], np.ndarray]]:
    """The columns of :func:`plain_number_positions` as one array per dtype: (dtype, positions, values)."""
    dtypes = list(df.dtypes)
    by_dtype: dict[np.dtype, list[int]] = {}
    for i in plain_number_positions(df):
        by_dtype.setdefault(dtypes[i], []).append(i)
    return [(dtype, positions, df.iloc[:, positions].to_numpy(dtype=dtype)) for dtype, positions in by_dtype.items()]


def _check_finite_blocks(df: pd.DataFrame) -> None:
    for dtype, positions, values in number_blocks(df):
        if dtype.kind != "f":
            continue
        infinite = np.isinf(values).sum(axis=0)
        if infinite.any():
            first = positions[int(np.flatnonzero(infinite)[0])]
            _check_finite(str(df.columns[first]), df.iloc[:, first])


def _check_finite(name: str, s: pd.Series) -> None:
    if ptypes.is_bool_dtype(s) or ptypes.is_integer_dtype(s) or ptypes.is_complex_dtype(s):
        return
    n_inf = int(np.isinf(s.to_numpy(dtype=float, na_value=np.nan)).sum())
    if n_inf:
        raise DataError(f"Column '{name}' contains {n_inf} infinite value(s); replace them with "
                        f"finite numbers, or leave those cells empty if the value is unknown.")


def examples(values: Iterable, limit: int = 3) -> str:
    return ", ".join(f"'{v}'" for v in list(values)[:limit])


def _clean_column(name: str, s: pd.Series) -> tuple[pd.Series, list[str], list[str]]:
    """The cleaned column, the distinct cell values read as missing, and its text values when it is a
    mixed column read as categories (else empty)."""
    if ptypes.is_bool_dtype(s) or ptypes.is_datetime64_any_dtype(s) or isinstance(
            s.dtype, pd.CategoricalDtype):
        return s, [], []
    if ptypes.is_timedelta64_dtype(s):
        return s.dt.total_seconds(), [], []
    if ptypes.is_numeric_dtype(s):
        _check_finite(name, s)
        return s, [], []
    return _clean_text_column(name, s)


def _clean_text_column(name: str, s: pd.Series) -> tuple[pd.Series, list[str], list[str]]:
    present = s.notna()
    try:
        counts = s[present].value_counts(sort=False)
    except TypeError:  # unhashable cells (lists, dicts): compare their text
        s = s.astype(str).where(present)
        counts = s[present].value_counts(sort=False)
    if counts.empty:
        return s, [], []
    stripped = pd.Series(counts.index.astype(str), dtype="str").str.strip()
    lower = stripped.str.lower()
    is_na = lower.isin(NA_MARKERS).to_numpy()
    is_context = lower.isin(CONTEXT_NA_MARKERS).to_numpy()
    numbers = pd.to_numeric(stripped, errors="coerce").to_numpy(dtype=float)
    is_na = is_na | (is_context & _context_markers_missing(stripped, is_na | is_context, ~np.isnan(numbers)))
    read_as_missing = [str(v) for v in stripped[is_na]]
    if is_na.any():
        s = s.mask(s.isin(counts.index[is_na]))
    keys, stripped, n, numbers = counts.index[~is_na], stripped[~is_na], counts.to_numpy()[~is_na], numbers[~is_na]
    if len(keys) == 0:
        return s, read_as_missing, []
    if np.isnan(numbers).any() and (grouped := _thousands_separated(name, stripped)) is not None:
        numbers = grouped
    numeric = ~np.isnan(numbers)
    share = n[numeric].sum() / n.sum()
    if share == 1.0:
        converted = s.map(pd.Series(numbers, index=keys))
        values = converted.to_numpy(dtype=float, na_value=np.nan)
        if not np.isnan(values).any() and np.all(np.mod(values, 1) == 0) and np.all(
                np.abs(values) < 2**53):
            converted = converted.astype("int64")
        _check_finite(name, converted)
        return converted, read_as_missing, []
    if share >= MIXED_NUMERIC_SHARE:
        order = np.argsort(-n[~numeric], kind="stable")
        if len(set(stripped)) <= MIXED_CATEGORIES_MAX_VALUES:  # buckets: numbers written as the encoders will see them
            text = [category_text(x) if ok else v for v, x, ok in zip(stripped, numbers, numeric)]
            categories = s.map(pd.Series(text, index=keys, dtype=object))
            categories = categories.astype(s.dtype if isinstance(s.dtype, pd.StringDtype) else object)
            return categories, read_as_missing, [str(v) for v in stripped[~numeric].iloc[order]]
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
        return s.map(pd.Series(parsed.to_numpy(), index=keys)), read_as_missing, []
    return s, read_as_missing, []


def _thousands_separated(name: str, values: pd.Series) -> np.ndarray | None:
    """The numbers of text such as ``1,234,567.89`` (or ``1.234.567,89``), when every value fits one pattern.

    Every value must be a number written with the same thousands separator (values below 1,000 without
    one), and at least one must use it; ``1.234`` alone stays 1.234. None when no value uses a separator.

    Raises
    ------
    DataError
        Numbers with separators beside numbers that do not fit the pattern (``1,234`` and ``1234.5,6``).
    """
    for separator, (fits, uses) in _GROUPED.items():
        if values.str.fullmatch(fits).all() and values.str.fullmatch(uses).any():
            decimal = "." if separator == "," else ","
            plain = values.str.replace(separator, "", regex=False).str.replace(decimal, ".", regex=False)
            return pd.to_numeric(plain, errors="coerce").to_numpy(dtype=float)
    for separator, (fits, uses) in _GROUPED.items():
        used = values.str.fullmatch(uses)
        if used.any() and pd.to_numeric(values.str.replace(separator, "", regex=False), errors="coerce").notna().all():
            odd = values[~values.str.fullmatch(fits)]
            raise DataError(f"Column '{name}' holds numbers written with thousands separators such as "
                            f"{examples(values[used])} but also {examples(odd)}, so they cannot be read "
                            f"consistently; write every value the same way, or without separators.")
    return None


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
