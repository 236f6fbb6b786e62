"""Data intake with guardrails: load a table, type its columns, detect the task, prepare X and y.

Typical use::

    df = load_table("train.csv")
    data = prepare_data(df, target="Survived")
    data.X, data.y, data.task, data.column_types, data.report.to_frame()

Every problem a user can fix raises :class:`~automl_engine.errors.DataError` with one
sentence saying what is wrong and how to fix it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from automl_engine.data import guardrails as gr
from automl_engine.data.cleaning import MISSING_MARKERS_ATTR, MIXED_CATEGORIES_ATTR, clean_table, examples
from automl_engine.data.column_inference import ColumnInfo, infer_column_types
from automl_engine.data.column_types import DROPPED_KINDS
from automl_engine.data.compressed import decompressed_source
from automl_engine.data.excel import read_excel
from automl_engine.data.memory import available_bytes, bytes_per_row, rows_that_fit
from automl_engine.data.preamble import without_comment_lines
from automl_engine.data.readers import (
    HEAD_BYTES,
    check_header,
    open_source,
    read_parquet,
    read_text,
    sniff_format,
)
from automl_engine.errors import DataError
from automl_engine.task import Task

logger = logging.getLogger(__name__)

__all__ = ["ColumnInfo", "PreparedData", "clean_table", "detect_task", "infer_column_types",
           "load_table", "prepare_data"]

MIN_ROWS = 20
"""Fewest rows left after cleaning for a dataset to be usable."""
MIN_CLASS_SIZE = 5
"""Classes with fewer rows are dropped: they cannot appear in every fold of 5-fold CV."""
MULTICLASS_MAX_DISTINCT = 20
"""An integer target with at most this many values (and >= 5 rows per value) is a class label."""
EMPTY_ROWS_ATTR = "empty_rows"
"""``DataFrame.attrs`` key set by ``load_table``: the data rows (1 = the first row below the header) that were
empty in every column and dropped, so that prediction can name them."""
TASKS = ("binary", "multiclass", "regression")

@dataclass
class PreparedData:
    """Features and target ready for the search, with what intake found and did.

    Attributes
    ----------
    X : pandas.DataFrame
        The kept feature columns with their original dtypes (date text parsed to datetime64).
    y : pandas.Series
        The target; original labels for classification.
    task : {"binary", "multiclass", "regression"}
    column_types : dict of str to str
        Kind of every kept feature column (a column-types mapping).
    columns : dict of str to ColumnInfo
        Every column of the input, target and dropped columns included.
    report : DataReport
        The guardrail results.
    n_rows_original : int
        Rows in the original table, before any sampling (by ``load_table`` or here).
    target : str
    """

    X: pd.DataFrame
    y: pd.Series
    task: str
    column_types: dict[str, str]
    columns: dict[str, ColumnInfo]
    report: gr.DataReport
    n_rows_original: int
    target: str = ""


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def load_table(source, *, max_rows: int = 1_000_000, max_bytes: int = 200 * 1024**2,
               random_state: int = 0) -> pd.DataFrame:
    """Read a table from a path or an uploaded file, with guardrails.

    The format is detected from the content (Parquet and Excel magic bytes, else delimited
    text), the file name's extension only breaking ties. Text may be comma, semicolon, tab or
    pipe separated, in UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1252 or Latin-1;
    a decimal comma is recognised in semicolon/tab files; a text table compressed with gzip, bzip2 or xz
    (``data.csv.gz``) is read as the table it holds. Cells such as ``NA``, ``?``, ``-``
    or empty are missing values. Text columns holding only numbers become numeric and text
    columns holding dates become datetime64. Only the first sheet of a workbook is read.

    Parameters
    ----------
    source : str, path-like, bytes or file-like
        A path, or an object with ``read()``/``getvalue()`` such as Streamlit's
        ``UploadedFile`` or :class:`io.BytesIO`.
    max_rows : int
        Tables with more rows are reduced to a uniform random sample of ``max_rows`` rows.
    max_bytes : int
        Files larger than this are streamed in chunks (Parquet: record batches), never loaded
        whole, and sampled to about ``max_bytes`` worth of rows (at most ``max_rows``).
    random_state : int
        Seed of the row sample.

    Returns
    -------
    pandas.DataFrame
        When rows were sampled, ``df.attrs["sampled_from"]`` holds the file's row count. Rows empty in every
        column are dropped and listed in ``df.attrs["empty_rows"]`` (1 = the first row below the header; positions
        in the sample when rows were sampled).

    Raises
    ------
    DataError
        When the input is not a usable table; the message says why and how to fix it.

    Examples
    --------
    >>> import io
    >>> load_table(io.BytesIO(b"a;b\\n1,5;x\\n2,5;y\\n"))["a"].tolist()
    [1.5, 2.5]
    """
    if max_rows < 1 or max_bytes < 1:
        raise ValueError("max_rows and max_bytes must be positive")
    src = open_source(source)
    if src.size == 0:
        raise DataError("The file is empty; upload a table with a header row and at least one "
                        "row of data.")
    with src.open() as stream:
        head = stream.read(HEAD_BYTES)
    inflated = decompressed_source(src, head)  # a .csv.gz (or .bz2, .xz): the table it holds
    if inflated is not None:
        src = inflated
        with src.open() as stream:
            head = stream.read(HEAD_BYTES)
        if src.size == 0:
            raise DataError("The compressed file holds nothing; compress a table with a header row and at least "
                            "one row of data.")
    fmt = sniff_format(head)
    if inflated is not None and fmt != "text":
        raise DataError("The compressed file holds a Parquet or Excel file; decompress it and upload that "
                        "file (both are compressed already).")
    if fmt == "text":
        src, head = without_comment_lines(src, head)  # "# Data source: ..." lines above the header
    if fmt == "text" and src.extension in (".parquet", ".xlsx", ".xls"):
        logger.warning("%s has a %s extension but holds text; reading it as delimited text",
                       src.name, src.extension)
    if fmt == "parquet":
        frame, raw_names, n_seen = read_parquet(src, max_rows, max_bytes, random_state)
    elif fmt == "xlsx":
        frame, raw_names, n_seen = read_excel(src, max_rows, max_bytes, random_state)
    else:
        frame, raw_names, n_seen = read_text(src, head, max_rows, max_bytes, random_state)
    frame = _tidy_shape(frame, raw_names)
    if len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=random_state).sort_index()
        frame = frame.reset_index(drop=True)
    frame = clean_table(frame)
    if n_seen > len(frame) + len(frame.attrs.get(EMPTY_ROWS_ATTR, ())):
        frame.attrs["sampled_from"] = int(n_seen)
        logger.info("read a uniform sample of %d of %d rows", len(frame), n_seen)
    return frame


def _tidy_shape(frame: pd.DataFrame, raw_names: list) -> pd.DataFrame:
    """Strip names, drop empty unnamed columns and empty rows, check there is a table."""
    blank = [i >= len(raw_names) or not str(raw_names[i] or "").strip()
             or str(c).startswith("Unnamed: ") for i, c in enumerate(frame.columns)]
    keep = [i for i, c in enumerate(frame.columns) if not (blank[i] and frame.iloc[:, i].isna().all())]
    frame = frame.iloc[:, keep]
    frame.columns = [str(c).strip() for c in frame.columns]
    check_header(frame.columns)
    empty_rows = frame.isna().all(axis=1)
    if empty_rows.any() and frame.shape[1]:
        logger.info("dropped %d empty rows", int(empty_rows.sum()))
        dropped = [int(i) + 1 for i in np.flatnonzero(empty_rows.to_numpy())]
        frame = frame.loc[~empty_rows].reset_index(drop=True)
        frame.attrs[EMPTY_ROWS_ATTR] = dropped
    if frame.shape[1] == 0:
        raise DataError("The file has no columns; upload a table with a header row and at least "
                        "one row of data.")
    if frame.shape[1] == 1:
        raise DataError(f"The table has only one column ('{frame.columns[0]}'), but a model needs "
                        f"a target and at least one feature column, so check that values are "
                        f"separated by commas, semicolons, tabs or pipes.")
    if len(frame) == 0:
        shown = ", ".join(f"'{c}'" for c in frame.columns[:5])
        raise DataError(f"The file has a header ({shown}) but no data rows; add at least one row "
                        f"of data below the header.")
    return frame


# ---------------------------------------------------------------------------------------------
# Column types and task
# ---------------------------------------------------------------------------------------------

def detect_task(y: pd.Series) -> str:
    """``"binary"``, ``"multiclass"`` or ``"regression"`` from the target's values.

    Two distinct values → binary; text, booleans or categories → multiclass; whole numbers
    with at most 20 distinct values and at least 5 rows per value on average → multiclass;
    other numbers → regression.

    Examples
    --------
    >>> import pandas as pd
    >>> detect_task(pd.Series(["a", "b", "a"])), detect_task(pd.Series([0.1 * i for i in range(50)]))
    ('binary', 'regression')
    """
    values = y.dropna()
    n_distinct = values.nunique()
    if n_distinct < 2:
        raise DataError(f"The target '{y.name}' has fewer than two distinct values, so there is "
                        f"nothing to predict; choose another target column.")
    if ptypes.is_datetime64_any_dtype(values):
        raise DataError(f"The target '{y.name}' holds dates, which cannot be predicted directly; "
                        f"choose a numeric or categorical target.")
    if n_distinct == 2:
        return "binary"
    numbers = None
    if ptypes.is_numeric_dtype(values) and not ptypes.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float)
    elif not isinstance(values.dtype, pd.CategoricalDtype):
        parsed = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
        if parsed.notna().all():
            numbers = parsed.to_numpy(dtype=float)
    if numbers is None:
        return "multiclass"
    integral = bool(np.all(np.mod(numbers, 1) == 0))
    if integral and n_distinct <= MULTICLASS_MAX_DISTINCT and len(numbers) >= 5 * n_distinct:
        return "multiclass"
    return "regression"


# ---------------------------------------------------------------------------------------------
# Preparation
# ---------------------------------------------------------------------------------------------

def _stratified_positions(y: pd.Series, n: int, min_per_class: int,
                          rng: np.random.Generator) -> np.ndarray:
    """Positions of an ``n``-row sample with class shares kept and no class below the floor."""
    codes, _ = pd.factorize(y)
    counts = np.bincount(codes)
    exact = counts * n / counts.sum()
    alloc = np.floor(exact).astype(int)
    alloc[np.argsort(alloc - exact)[: n - alloc.sum()]] += 1
    alloc = np.maximum(alloc, np.minimum(counts, min_per_class))
    while alloc.sum() > n:  # the floor took rows from the largest classes
        alloc[np.argmax(alloc)] -= 1
    picks = [rng.choice(np.flatnonzero(codes == c), size=k, replace=False)
             for c, k in enumerate(alloc)]
    return np.sort(np.concatenate(picks))


def _available(columns: Iterable[str], limit: int = 5) -> str:
    cols = list(columns)
    shown = ", ".join(f"'{c}'" for c in cols[:limit])
    return shown + (f" and {len(cols) - limit} more" if len(cols) > limit else "")


def prepare_data(df: pd.DataFrame, target: str, *, task: str = "auto",
                 exclude: Iterable[str] = (), max_rows: int = 1_000_000, random_state: int = 0,
                 min_class_size: int = MIN_CLASS_SIZE) -> PreparedData:
    """Split a table into features and target, typed, checked and ready for the search.

    Steps: clean the cells (see :func:`clean_table`); drop rows with a missing target; detect
    or check the task; for classification drop the rows of classes with fewer than
    ``min_class_size`` rows; type every column; keep all columns except the target, the
    excluded ones and the id/constant ones; sub-sample to ``max_rows`` (stratified for
    classification); run the guardrails of :mod:`automl_engine.data.guardrails`.

    Parameters
    ----------
    df : pandas.DataFrame
        The user's table, e.g. from :func:`load_table`.
    target : str
        The column to predict.
    task : {"auto", "binary", "multiclass", "regression", "classification"}
        ``"auto"`` uses :func:`detect_task`; ``"classification"`` picks binary or multiclass.
    exclude : iterable of str
        Columns not to use as features.
    max_rows : int
        Larger tables are sub-sampled to this many rows.
    random_state : int
        Seed of the sub-sample and of the leakage check.
    min_class_size : int
        Smallest class kept (match the number of cross-validation folds).

    Returns
    -------
    PreparedData

    Raises
    ------
    DataError
        Unknown target or excluded column, target empty or constant, a single class, fewer
        than 20 rows left, no usable feature column, a task that does not fit the target.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": range(40), "c": ["a", "b"] * 20, "y": [0.5 * i for i in range(40)]})
    >>> data = prepare_data(df, "y")
    >>> data.task, list(data.X.columns)
    ('regression', ['c'])
    """
    if max_rows < MIN_ROWS:
        raise ValueError(f"max_rows must be at least {MIN_ROWS}")
    columns = [str(c) for c in df.columns]
    check_header(columns)
    if target not in columns:
        close = [c for c in columns if c.strip().lower() == str(target).strip().lower()]
        hint = f"did you mean '{close[0]}'" if close else f"choose one of {_available(columns)}"
        raise DataError(f"The target column '{target}' is not in the table; {hint}.")
    exclude = [str(c) for c in exclude]
    unknown = [c for c in exclude if c not in columns]
    if unknown:
        raise DataError(f"The excluded column '{unknown[0]}' is not in the table; choose among "
                        f"{_available(columns)}.")
    task = {"classification": "auto_classification"}.get(task, task)
    if task not in ("auto", "auto_classification", *TASKS):
        raise DataError(f"The task '{task}' is not known; use auto, binary, multiclass or "
                        f"regression.")
    loader_sampled = "sampled_from" in df.attrs
    n_rows_original = int(df.attrs.get("sampled_from", len(df)))
    df = _clean_with_target_labels(df, columns.index(target))
    df.columns = columns
    report = gr.DataReport(target=target, n_rows_original=n_rows_original)
    report.add(gr.check_missing_markers(df.attrs.get(MISSING_MARKERS_ATTR, {})))
    mixed = {c: v for c, v in df.attrs.get(MIXED_CATEGORIES_ATTR, {}).items()  # a target's classes are no news
             if c != target and c not in exclude}
    if mixed:
        report.add(gr.check_mixed_categories(mixed))

    missing_target = df[target].isna()
    if missing_target.all():
        raise DataError(f"The target column '{target}' has no values; choose a column that is "
                        f"filled in for most rows.")
    report.add(gr.check_missing_target(target, int(missing_target.sum()), len(df)))
    df = df.loc[~missing_target].reset_index(drop=True)
    y = df[target]
    if y.nunique() < 2:
        raise DataError(f"The target column '{target}' has the same value ('{y.iloc[0]}') in every "
                        f"row, so there is nothing to predict; choose another target column.")
    requested = task
    task = _resolve_task(y, task)
    if task != Task.REGRESSION:
        counts = y.value_counts()
        report.add(gr.check_rare_classes(counts, min_class_size))
        rare = counts.index[counts < min_class_size]
        if len(rare):
            df = df.loc[~y.isin(rare)].reset_index(drop=True)
            y = df[target]
            if y.nunique() < 2:
                raise DataError(f"Fewer than two classes of '{target}' have {min_class_size} or "
                                f"more rows; choose a target with repeated values, or set the "
                                f"task to regression if it is a number.")
            if requested in ("auto", "auto_classification"):
                task = "binary" if y.nunique() == 2 else "multiclass"
        if task == Task.BINARY and y.nunique() != 2:
            raise DataError(f"The task is binary but the target '{target}' has {y.nunique()} "
                            f"classes; choose multiclass or auto.")
    if len(df) < MIN_ROWS:
        raise DataError(f"Only {len(df)} usable rows remain after cleaning, fewer than the "
                        f"{MIN_ROWS} needed; add more rows with a value for '{target}'.")

    infos = infer_column_types(df, target)
    features = [c for c in columns if c != target and c not in exclude
                and infos[c].kind not in DROPPED_KINDS]
    if not features:
        raise DataError(f"No usable feature column is left besides the target '{target}', since "
                        f"the others are excluded, constant or ID-like; add informative columns.")
    report.add(gr.check_duplicate_rows(df[features + [target]]))

    n_before = len(df)
    stratified = task != Task.REGRESSION
    fit_rows = rows_that_fit(bytes_per_row(df[features + [target]], random_state))
    if fit_rows < MIN_ROWS:
        raise DataError(f"The table needs more memory than this machine has available "
                        f"({available_bytes() / 2**30:.1f} GB); free memory or use fewer columns.")
    memory_bound = fit_rows < min(n_before, max_rows)
    max_rows = min(max_rows, fit_rows)
    if n_before > max_rows:
        rng = np.random.default_rng(random_state)
        if stratified:
            positions = _stratified_positions(df[target], max_rows, min_class_size, rng)
        else:
            positions = np.sort(rng.choice(n_before, size=max_rows, replace=False))
        df = df.iloc[positions].reset_index(drop=True)
    sampled = n_before > max_rows or loader_sampled
    report.add(gr.check_sub_sampling(n_rows_original, len(df), sampled,
                                     stratified and n_before > max_rows,
                                     available_bytes() if memory_bound else None))

    X = df[features]
    y = df[target].rename(target)
    if stratified and ptypes.is_float_dtype(y) and np.all(np.mod(y.to_numpy(), 1) == 0):
        y = y.astype("int64")  # labels such as 0.0/1.0 came from a column that had gaps
    if task == Task.REGRESSION:
        y = y.astype(float)
    column_types = {c: infos[c].kind for c in features}
    for check in gr.check_dropped_columns({c: infos[c] for c in columns if c not in exclude},
                                          target):
        report.add(check)
    report.add(gr.check_missing_values(X))
    report.add(gr.check_high_cardinality(column_types))
    if stratified:
        report.add(gr.check_class_imbalance(y))
    report.add(gr.check_target_leakage(X, y, task, random_state=random_state))
    report.task, report.n_rows_used, report.n_features = task, len(X), len(features)
    logger.info("prepared %d rows x %d features, task %s: %s", len(X), len(features), task,
                report.status_counts())
    return PreparedData(X=X, y=y, task=task, column_types=column_types, columns=infos,
                        report=report, n_rows_original=n_rows_original, target=target)


def _clean_with_target_labels(df: pd.DataFrame, target_position: int) -> pd.DataFrame:
    """``clean_table``, except that a target mixing numbers and words is kept as text labels.

    A feature like that is refused when it has many values (it is ambiguous), but a target such as
    grades 9–12 plus "other" is simply a set of classes, however many.
    """
    features = df.drop(columns=df.columns[target_position])
    cleaned = clean_table(features)
    target = df.iloc[:, [target_position]]
    try:
        target = clean_table(target)
    except DataError:
        column = target.iloc[:, 0]
        target = column.astype("str").where(column.notna()).to_frame()
    out = pd.concat([cleaned.iloc[:, :target_position], target, cleaned.iloc[:, target_position:]], axis=1)
    markers = {**cleaned.attrs.get(MISSING_MARKERS_ATTR, {}), **target.attrs.get(MISSING_MARKERS_ATTR, {})}
    mixed = cleaned.attrs.get(MIXED_CATEGORIES_ATTR, {})  # the features' (and any carried in df.attrs by load_table)
    out.attrs = {**df.attrs, MISSING_MARKERS_ATTR: markers, MIXED_CATEGORIES_ATTR: mixed}
    return out


def _resolve_task(y: pd.Series, task: str) -> str:
    """The detected task, or the caller's task checked against the target."""
    if task in ("auto", "auto_classification"):
        detected = detect_task(y)
        if task == "auto_classification" and detected == Task.REGRESSION:
            return "multiclass"
        return detected
    if task == Task.REGRESSION:
        if ptypes.is_bool_dtype(y) or not ptypes.is_numeric_dtype(y):
            raise DataError(f"Regression needs a numeric target but '{y.name}' holds text such as "
                            f"{examples(y.astype(str).unique())}; choose classification or "
                            f"another target.")
    return task
