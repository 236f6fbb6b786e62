"""Predictions on new tables: schema checks against the model card, prediction frames, safe CSV.

``check_schema`` never raises: it returns sentences for the user. ``predict_frame`` refuses
(``DataError``) only what cannot be predicted: missing columns. ``to_csv_bytes`` escapes text
cells that a spreadsheet would run as a formula.
"""
from __future__ import annotations

import io
import logging
import warnings

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from automl_engine.errors import DataError
from automl_engine.task import Task

logger = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Cells (text) starting with one of these are prefixed with a single quote in CSV downloads."""
_SHOWN = 3


def _quote(values, limit: int = _SHOWN) -> str:
    return ", ".join(f"'{v}'" for v in list(values)[:limit])


def _schema(card: dict) -> list[dict]:
    return [c for c in (card or {}).get("input_schema", []) if isinstance(c, dict) and "name" in c]


def _text_values(column: pd.Series) -> pd.Series:
    present = column[column.notna()]
    return present.astype(str).str.strip()


def _bad_numbers(column: pd.Series) -> pd.Series:
    """Values of ``column`` that are not numbers (empty when the column is numeric)."""
    if ptypes.is_bool_dtype(column):
        return pd.Series([], dtype=object)
    if ptypes.is_numeric_dtype(column):
        return pd.Series([], dtype=object)
    if ptypes.is_datetime64_any_dtype(column):
        return column.dropna().astype(str)
    text = _text_values(column)
    numbers = pd.to_numeric(text, errors="coerce")
    return text[numbers.isna() & (text != "")]


def _bad_dates(column: pd.Series) -> pd.Series:
    """Values of ``column`` that cannot be read as dates."""
    if ptypes.is_datetime64_any_dtype(column):
        return pd.Series([], dtype=object)
    if ptypes.is_numeric_dtype(column) or ptypes.is_bool_dtype(column):
        return column.dropna().astype(str)
    text = _text_values(column)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    return text[parsed.isna() & (text != "")]


def _column_problem(name: str, kind: str, column: pd.Series) -> str | None:
    if kind == "numeric":
        bad = _bad_numbers(column)
        if len(bad):
            return (f"Column '{name}' should hold numbers but {len(bad)} value(s) are not, such as "
                    f"{_quote(bad.unique())}; those cells are treated as missing.")
    elif kind == "datetime":
        bad = _bad_dates(column)
        if len(bad):
            return (f"Column '{name}' should hold dates but {len(bad)} value(s) cannot be read as dates, such as "
                    f"{_quote(bad.unique())}; those cells are treated as missing.")
    if len(column) and column.isna().all():
        return f"Column '{name}' is empty in every row; predictions use the values typical of the training data."
    return None


def output_names(columns, classes=None) -> tuple[str, dict]:
    """Names of the ``prediction`` and ``proba_<label>`` columns that collide with none of ``columns``.

    The plain names when they are free, else all of them with the smallest suffix ``_1``, ``_2``, ... that frees
    them, so the input's own ``prediction`` column is never doubled or overwritten.

    Examples
    --------
    >>> output_names(["age", "prediction"], ["no", "yes"])
    ('prediction_1', {'no': 'proba_no_1', 'yes': 'proba_yes_1'})
    """
    taken = {str(c) for c in columns}
    labels = list(classes) if classes is not None else []
    for k in range(len(taken) + 1):
        suffix = f"_{k}" if k else ""
        names = (f"prediction{suffix}", {label: f"proba_{label}{suffix}" for label in labels})
        if names[0] not in taken and not taken.intersection(names[1].values()):
            return names
    raise AssertionError("unreachable: some suffix is always free")


def _skipped_rows(frame: pd.DataFrame) -> list[str]:
    """Sentences about input rows that ``load_table`` left out (empty rows, a sample of a huge table)."""
    messages = []
    empty = list(frame.attrs.get("empty_rows", ()))
    if empty:
        shown = ", ".join(str(r) for r in empty[:10]) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
        messages.append(f"{len(empty)} row(s) are empty in every column and get no prediction: data row(s) {shown} "
                        f"(1 is the first row below the header).")
    if "sampled_from" in frame.attrs:
        messages.append(f"The table has {frame.attrs['sampled_from']:,} rows, more than can be read at once; only a "
                        f"uniform sample of {len(frame):,} rows is predicted, so split the file to predict every "
                        f"row.")
    return messages


def check_schema(card: dict, frame) -> list[str]:
    """Sentences about how ``frame`` differs from the columns the model was trained on.

    Reports missing columns (predictions are refused until they are added), columns the model
    does not use (ignored), and values that do not fit a column's kind (text in a numeric
    column, unreadable dates). Never raises: anything unexpected becomes a sentence.

    Parameters
    ----------
    card : dict
        A model card (see ``automl_engine.model.skops_io.make_card``).
    frame : pandas.DataFrame
        The new data.

    Returns
    -------
    list of str
        Empty when the table fits the model.

    Examples
    --------
    >>> card = {"input_schema": [{"name": "age", "kind": "numeric", "dtype": "number"}]}
    >>> check_schema(card, pd.DataFrame({"age": ["12", "old"]}))[0][:42]
    "Column 'age' should hold numbers but 1 val"
    """
    try:
        return _check_schema(card, frame)
    except Exception as exc:  # noqa: BLE001 - the contract is sentences, never an exception
        logger.debug("schema check failed: %r", exc)
        return [f"The table could not be checked against the model's columns ({type(exc).__name__}); "
                f"predictions may fail."]


def _check_schema(card: dict, frame) -> list[str]:
    if not isinstance(frame, pd.DataFrame):
        return ["The data is not a table; upload a CSV, Excel or Parquet file with a header row."]
    messages = []
    schema = _schema(card)
    names = [str(c) for c in frame.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        messages.append(f"Column name(s) {_quote(duplicated, 5)} appear more than once; only the first of each is "
                        f"used.")
    expected = [str(c["name"]) for c in schema]
    missing = [c for c in expected if c not in names]
    if missing:
        messages.append(f"The table lacks {len(missing)} column(s) the model needs: {_quote(missing, 5)}; add them "
                        f"with the same names as in the training data (cells may be empty).")
    target = (card or {}).get("target")
    extra = [c for c in dict.fromkeys(names) if c not in expected]
    if target is not None and str(target) in extra:
        extra.remove(str(target))
        messages.append(f"The table holds the target column '{target}'; it is ignored for predicting.")
    if extra:
        messages.append(f"{len(extra)} column(s) the model does not use are ignored: {_quote(extra, 5)}"
                        f"{' and more' if len(extra) > 5 else ''}.")
    prediction, probas = output_names(names, (card or {}).get("classes"))
    if prediction != "prediction":
        also = f" (the class probabilities to 'proba_<class>{prediction[len('prediction'):]}')" if probas else ""
        messages.append(f"The table already has a column named 'prediction' or 'proba_<class>'; the model's "
                        f"predictions are written to '{prediction}'{also} beside it.")
    messages += _skipped_rows(frame)
    if len(frame) == 0:
        messages.append("The table has no rows to predict; add at least one row below the header.")
        return messages
    for column in schema:
        name = str(column["name"])
        if name in missing:
            continue
        series = frame.iloc[:, names.index(name)]
        problem = _column_problem(name, str(column.get("kind", "")), series)
        if problem:
            messages.append(problem)
    return messages


def predict_frame(model, frame: pd.DataFrame, *, include_input: bool = False) -> pd.DataFrame:
    """Predictions for the rows of ``frame``: a ``prediction`` column and ``proba_<label>`` columns.

    Every row is predicted (missing values are filled as in training). When ``frame`` already has a column of
    one of those names, they all get a suffix (``prediction_1``; see :func:`output_names`, and
    :func:`check_schema`, which says so).

    Parameters
    ----------
    model : LoadedModel or fitted AutoML
    frame : pandas.DataFrame
        New rows with the training columns (others are ignored).
    include_input : bool
        Put the input columns first.

    Raises
    ------
    DataError
        Columns the model needs are missing, or the model cannot predict these rows.
    """
    card = getattr(model, "card", None) or {"input_schema": [{"name": c, "kind": k}
                                                             for c, k in getattr(model, "column_types_", {}).items()]}
    expected = [str(c["name"]) for c in _schema(card)]
    if not isinstance(frame, pd.DataFrame):
        raise DataError("the data is not a table; give a DataFrame or a CSV, Excel or Parquet file")
    frame = _text_named_columns(frame)
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise DataError(f"the table lacks the model's column(s) {_quote(missing, 5)}; add them with the same names "
                        f"as in the training data (cells may be empty)")
    if len(frame) == 0:
        raise DataError("the table has no rows to predict; add at least one row below the header")
    X = frame[expected] if expected else frame
    try:
        predictions = model.predict(X)
        task = getattr(model, "task_", None)
        proba = None if task == Task.REGRESSION or not hasattr(model, "predict_proba") else model.predict_proba(X)
    except DataError:
        raise
    except (ValueError, TypeError) as exc:
        raise DataError(f"the model could not predict these rows ({exc}); check that each column holds the same "
                        f"kind of values as in the training data") from exc
    classes = np.asarray(model.classes_) if proba is not None else None
    prediction, probas = output_names(frame.columns, None if classes is None else classes.tolist())
    out = pd.DataFrame({prediction: np.asarray(predictions)}, index=frame.index)
    if proba is not None:
        for label, values in zip(classes.tolist(), np.asarray(proba).T):
            out[probas[label]] = values
    return pd.concat([echo_input(frame), out], axis=1) if include_input else out


def _text_named_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s columns (a new frame: ``.loc`` with a mask copies) named as text, the first of a repeated name
    kept."""
    frame = frame.loc[:, ~pd.Index([str(c) for c in frame.columns]).duplicated()]
    frame.columns = [str(c) for c in frame.columns]
    return frame


EXACT_WHOLE_NUMBERS = 2.0 ** 53
"""Beyond this a float cannot hold every whole number, so such a column is echoed as it was read."""


def echo_input(frame: pd.DataFrame) -> pd.DataFrame:
    """The input columns as they go beside the predictions: names as text (the first of a repeated name kept),
    and number columns read as floats only because of empty cells written as whole numbers again.

    A column of whole numbers with a gap (an id, a year, a count) is read as floats, and would come back as
    ``10234.0``; it comes back as ``10234`` (empty cells stay empty).

    Examples
    --------
    >>> echo_input(pd.DataFrame({"year": [2019.0, None], "x": [0.5, 1.0]})).dtypes.astype(str).tolist()
    ['Int64', 'float64']
    """
    frame = _text_named_columns(frame)
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if not ptypes.is_float_dtype(column) or not column.isna().any():
            continue
        values = column.dropna().to_numpy(dtype=float)
        if len(values) and np.all(np.abs(values) < EXACT_WHOLE_NUMBERS) and np.all(values == np.round(values)):
            frame.isetitem(i, column.astype("Int64"))
    return frame


LONE_SIGNS = ("+", "-")
"""Cells that are exactly one of these stay as they are: a lone sign is no formula, and ``+`` / ``-`` are
common class labels (escaped, a ``+``/``-`` target's predictions would read ``'+`` / ``'-``)."""


def _escape(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and value not in LONE_SIGNS:
        return "'" + value
    return value


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot run as spreadsheet formulas.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single
    quote; numbers (negative ones included), dates, missing cells and a lone ``+`` or ``-`` are left as
    they are.
    """
    out = frame.copy()
    out.columns = [_escape(str(c)) for c in frame.columns]
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if ptypes.is_numeric_dtype(column) or ptypes.is_datetime64_any_dtype(column) or ptypes.is_bool_dtype(column):
            continue
        out.isetitem(i, column.map(_escape).astype(object))
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (RFC 4180: CRLF rows, so cells holding CR or LF are quoted) of ``frame`` without its
    index, formula-like text escaped (see ``escape_formulas``).

    Examples
    --------
    >>> to_csv_bytes(pd.DataFrame({"a": ["=1+1", "x"], "b": [-1.5, 2.0]}))
    b"a,b\\r\\n'=1+1,-1.5\\r\\nx,2.0\\r\\n"
    """
    buffer = io.StringIO()
    escape_formulas(frame).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8")
