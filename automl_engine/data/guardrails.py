"""Data guardrails: checks run on a prepared table, with what was found and what was done.

Each check returns a :class:`Check` whose ``status`` is one of

* ``"passed"``: nothing to report;
* ``"fixed"``: a problem was found and handled automatically (imputed, dropped, sampled);
* ``"alert"``: something a person should look at; the data was left as it is.

The checks are plain functions of the data so they can be tested on their own; intake's
``prepare_data`` runs them in order and collects the results in a :class:`DataReport`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from automl_engine.data.cleaning import number_blocks, plain_number_positions
from automl_engine.data.column_types import CONSTANT, HIGH_CARDINALITY, ID_LIKE
from automl_engine.task import Task

logger = logging.getLogger(__name__)

PASSED = "passed"
FIXED = "fixed"
ALERT = "alert"
STATUSES = (PASSED, FIXED, ALERT)

IMBALANCE_RATIO = 0.2
"""Minority / majority class size below which class imbalance is an alert."""
LEAKAGE_THRESHOLD = 0.98
"""Cross-validated balanced accuracy (classification) or R² (regression) of one column above
which that column is reported as likely target leakage."""
LEAKAGE_SAMPLE_ROWS = 2000
"""Rows the leakage check uses at most, so it stays fast on large tables."""
LEAKAGE_SCREEN_MARGIN = 0.2
"""A number or date column is cross-validated only if its screening score (below) reaches the threshold
minus this margin: on a 10,000-column table, cross-validating every column took 300 s of a 20 s budget."""
LEAKAGE_SCREEN_BINS = 128


@dataclass(frozen=True)
class Check:
    """The result of one guardrail.

    Parameters
    ----------
    name : str
        Stable identifier of the check, e.g. ``"missing_values"``.
    status : {"passed", "fixed", "alert"}
        What the check concluded.
    message : str
        What was found, as a sentence a person understands.
    action : str
        What was done about it (or what the user may want to do).
    columns : tuple of str, optional
        The columns the check is about, for the UI to highlight.
    """

    name: str
    status: str
    message: str
    action: str
    columns: tuple[str, ...] = ()

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


@dataclass
class DataReport:
    """The guardrail results for one dataset, in the order they were run.

    Examples
    --------
    >>> report = DataReport()
    >>> report.add(Check("duplicate_rows", "alert", "3 rows are exact duplicates.", "None."))
    >>> report.status_counts()
    {'passed': 0, 'fixed': 0, 'alert': 1}
    >>> list(report.to_frame().columns)
    ['name', 'status', 'message', 'action', 'columns']
    """

    checks: list[Check] = field(default_factory=list)
    target: str | None = None
    task: str | None = None
    n_rows_original: int | None = None
    n_rows_used: int | None = None
    n_features: int | None = None

    def add(self, check: Check) -> None:
        """Append one check result."""
        self.checks.append(check)

    def get(self, name: str) -> Check | None:
        """The check called ``name``, or None when it was not run."""
        return next((c for c in self.checks if c.name == name), None)

    def status_counts(self) -> dict[str, int]:
        """Number of checks per status, with every status present."""
        counts = {status: 0 for status in STATUSES}
        for check in self.checks:
            counts[check.status] += 1
        return counts

    def to_frame(self) -> pd.DataFrame:
        """One row per check: name, status, message, action, columns (comma separated)."""
        rows = [{**asdict(c), "columns": ", ".join(c.columns)} for c in self.checks]
        return pd.DataFrame(rows, columns=["name", "status", "message", "action", "columns"])

    def to_dict(self) -> dict:
        """A JSON-serialisable summary: the fields, the checks and the status counts."""
        return {
            "target": self.target,
            "task": self.task,
            "n_rows_original": self.n_rows_original,
            "n_rows_used": self.n_rows_used,
            "n_features": self.n_features,
            "checks": [{**asdict(c), "columns": list(c.columns)} for c in self.checks],
            "status_counts": self.status_counts(),
        }


def _quote_list(names: Iterable, limit: int = 5) -> str:
    names = [f"'{n}'" for n in names]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return ", ".join(names)


def check_missing_target(target: str, n_dropped: int, n_rows: int) -> Check:
    """Rows whose target is missing cannot be learned from; they are dropped."""
    if n_dropped == 0:
        return Check("missing_target", PASSED, f"Every row has a value for the target '{target}'.",
                     "Nothing to do.", (target,))
    return Check(
        "missing_target", FIXED,
        f"{n_dropped:,} of {n_rows:,} rows have no value for the target '{target}'.",
        f"Dropped those {n_dropped:,} rows; they cannot be used for training.", (target,))


def check_rare_classes(counts: Mapping, min_class_size: int) -> Check:
    """Classes with fewer than ``min_class_size`` rows cannot be spread over the folds.

    Parameters
    ----------
    counts : mapping
        Class label -> number of rows, before any class was dropped.
    min_class_size : int
        Smallest class kept (the number of cross-validation folds).
    """
    rare = {label: int(n) for label, n in counts.items() if n < min_class_size}
    if not rare:
        return Check("rare_classes", PASSED,
                     f"Every class has at least {min_class_size} rows, enough for the folds.",
                     "Nothing to do.")
    described = ", ".join(f"'{label}' ({n})" for label, n in list(rare.items())[:5])
    more = f" and {len(rare) - 5} more" if len(rare) > 5 else ""
    return Check(
        "rare_classes", FIXED,
        f"{len(rare)} class(es) have fewer than {min_class_size} rows, too few to appear in "
        f"every cross-validation fold: {described}{more}.",
        f"Dropped the {sum(rare.values()):,} rows of those classes; the model will not predict "
        f"them, so add more examples if they matter.")


def check_sub_sampling(n_rows_original: int, n_rows_used: int, sampled: bool,
                       stratified: bool = False, memory_available: int | None = None) -> Check:
    """Say whether the model sees every row of the table or a random sample of them.

    Parameters
    ----------
    n_rows_original : int
        Rows in the user's table (before ``load_table`` sampled it, if it did).
    n_rows_used : int
        Rows handed to the search.
    sampled : bool
        Whether rows were sampled (by ``load_table`` or ``prepare_data``); rows dropped by
        other checks are not sampling.
    stratified : bool
        Whether the sample kept the class proportions.
    memory_available : int, optional
        Bytes of memory available, when the sample's size was set by what fits in it.
    """
    if not sampled:
        return Check("sub_sampling", PASSED,
                     f"The table was not sub-sampled ({n_rows_original:,} rows).",
                     "Nothing to do.")
    how = "a random sample, stratified by class," if stratified else "a uniform random sample"
    if memory_available is not None:
        return Check(
            "sub_sampling", FIXED,
            f"The table has {n_rows_original:,} rows, more than a search can hold in the "
            f"{memory_available / 2**30:.1f} GB of memory available.",
            f"Used {how} of {n_rows_used:,} rows; free memory or use a larger machine to use every row.")
    return Check(
        "sub_sampling", FIXED,
        f"The table has {n_rows_original:,} rows, more than the search uses.",
        f"Used {how} of {n_rows_used:,} rows so the search stays fast.")


def check_dropped_columns(columns: Mapping, target: str | None = None) -> list[Check]:
    """Constant and ID-like columns carry no signal a model can generalise from.

    Parameters
    ----------
    columns : mapping
        Column name -> ``ColumnInfo`` (anything with ``kind`` and ``reason`` attributes).
    target : str, optional
        Never reported as dropped.

    Returns
    -------
    list of Check
        ``constant_columns`` then ``id_columns``.
    """
    out = []
    for name, kind, what in (("constant_columns", CONSTANT, "hold a single value"),
                             ("id_columns", ID_LIKE, "look like row identifiers")):
        cols = [c for c, info in columns.items() if info.kind == kind and c != target]
        if not cols:
            out.append(Check(name, PASSED, f"No column is {kind.replace('id', 'ID-like')}.",
                             "Nothing to do."))
            continue
        reasons = "; ".join(f"'{c}': {columns[c].reason}" for c in cols[:3])
        more = f"; and {len(cols) - 3} more" if len(cols) > 3 else ""
        out.append(Check(
            name, FIXED, f"{len(cols)} column(s) {what} ({reasons}{more}).",
            f"Dropped {_quote_list(cols)}; they cannot help a model generalise.", tuple(cols)))
    return out


def check_missing_markers(markers: Mapping[str, Iterable[str]]) -> Check:
    """Say which placeholder values (``?``, ``-``, ``none``, ...) were read as missing, per column."""
    if not markers:
        return Check("missing_markers", PASSED, "No placeholder text such as '?' or '-' was read as missing.",
                     "Nothing to do.")
    parts = [f"{', '.join(repr(str(v)) for v in values)} in '{column}'" for column, values in markers.items()]
    more = f" and {len(parts) - 5} more column(s)" if len(parts) > 5 else ""
    return Check(
        "missing_markers", FIXED, f"Read as missing values: {'; '.join(parts[:5])}{more}.",
        "Treated as unknown values. If one of them is a real value (a category or a class), replace it "
        "with a word before uploading.", tuple(markers))


def check_mixed_categories(mixed: Mapping[str, Iterable[str]]) -> Check:
    """Say which columns mix a few numbers with text (``<5``, ``10+``) and are read as categories.

    Only reported for a table that has such columns (``mixed`` not empty): most tables have none.
    """
    parts = [f"'{column}' (text such as {', '.join(repr(str(v)) for v in list(values)[:3])})"
             for column, values in mixed.items()]
    more = f" and {len(parts) - 5} more" if len(parts) > 5 else ""
    return Check(
        "mixed_categories", FIXED,
        f"{len(parts)} column(s) mix numbers with text, so their values are read as categories, not numbers: "
        f"{'; '.join(parts[:5])}{more}.",
        "Each value is its own category, without order. If the order matters, write every value as a number "
        "(for example 4 for '<5' and 10 for '10+') before uploading.", tuple(mixed))


def check_missing_values(X: pd.DataFrame) -> Check:
    """Report the feature columns with missing values; the pipelines impute them."""
    n = len(X)
    missing = X.isna().sum()
    missing = missing[missing > 0].sort_values(ascending=False)
    if missing.empty:
        return Check("missing_values", PASSED, "No feature column has missing values.",
                     "Nothing to do.")
    parts = [f"'{c}' {int(k):,} ({k / max(n, 1):.1%})" for c, k in missing.iloc[:5].items()]
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return Check(
        "missing_values", FIXED,
        f"{len(missing)} feature column(s) have missing values: {', '.join(parts)}{more}.",
        "Imputed inside the pipeline: numbers with the mean or median (some pipelines add a "
        "missing indicator), categories with a separate 'missing' level.", tuple(missing.index))


def check_high_cardinality(column_types: Mapping[str, str]) -> Check:
    """Categorical columns with many levels are target/ordinal encoded, never one-hot."""
    cols = [c for c, kind in column_types.items() if kind == HIGH_CARDINALITY]
    if not cols:
        return Check("high_cardinality", PASSED, "No categorical column has many distinct values.",
                     "Nothing to do.")
    return Check(
        "high_cardinality", FIXED,
        f"{len(cols)} categorical column(s) have many distinct values: {_quote_list(cols)}.",
        "They are target- or ordinal-encoded instead of one-hot encoded, which would create "
        "too many columns.", tuple(cols))


def check_class_imbalance(y: pd.Series, threshold: float = IMBALANCE_RATIO) -> Check:
    """Alert when the smallest class is much smaller than the largest one."""
    counts = y.value_counts()
    minority, majority = counts.index[-1], counts.index[0]
    ratio = counts.iloc[-1] / counts.iloc[0]
    found = (f"The smallest class '{minority}' has {counts.iloc[-1]:,} rows and the largest "
             f"'{majority}' has {counts.iloc[0]:,} (ratio {ratio:.2f})")
    if ratio >= threshold:
        return Check("class_imbalance", PASSED, found + ", so the classes are reasonably balanced.",
                     "Nothing to do.")
    return Check(
        "class_imbalance", ALERT, found + ", so the classes are imbalanced.",
        "Judge models with a metric that accounts for imbalance (balanced accuracy, AUC) and "
        "look at per-class results; more examples of the small class would help most.")


def check_duplicate_rows(frame: pd.DataFrame) -> Check:
    """Count rows that are exact copies of an earlier row (features and target)."""
    try:
        n_dup = _duplicate_rows(frame)
    except TypeError:  # unhashable cells, e.g. lists: compare their text instead
        n_dup = int(frame.astype(str).duplicated().sum())
    if n_dup == 0:
        return Check("duplicate_rows", PASSED, "No row is an exact copy of another.",
                     "Nothing to do.")
    return Check(
        "duplicate_rows", ALERT,
        f"{n_dup:,} of {len(frame):,} rows ({n_dup / len(frame):.1%}) are exact copies of "
        f"another row.",
        "Kept them; if they are accidental copies, remove them, because duplicates shared "
        "between folds make validation scores look better than they are.")


def _duplicate_rows(frame: pd.DataFrame) -> int:
    """``frame.duplicated().sum()``, comparing each row's bytes: NumPy number columns as blocks of one dtype
    (0.0 and -0.0 made one, every NaN made one), other columns by their factorized codes, instead of
    factorizing a wide table column by column."""
    parts, plain = [], []
    for dtype, positions, block in number_blocks(frame):
        if dtype.kind == "f":
            block = np.where(np.isnan(block), np.nan, block + 0.0)  # one NaN, and -0.0 + 0.0 is 0.0
        parts.append(np.ascontiguousarray(block).view(np.uint8).reshape(len(frame), -1))
        plain += positions
    others = sorted(set(range(frame.shape[1])) - set(plain))
    if others:
        codes = np.column_stack([pd.factorize(frame.iloc[:, i])[0] for i in others]).astype(np.int64)
        parts.append(codes.view(np.uint8).reshape(len(frame), -1))
    rows = np.ascontiguousarray(np.hstack(parts))
    return len(frame) - len(np.unique(rows.view(np.dtype((np.void, rows.shape[1]))).ravel()))


def _single_column_matrix(s: pd.Series) -> np.ndarray:
    """One column as numbers a decision tree can split: numbers, dates or category codes."""
    if ptypes.is_bool_dtype(s) or (ptypes.is_numeric_dtype(s) and not isinstance(
            s.dtype, pd.CategoricalDtype)):
        values = s.to_numpy(dtype=float, na_value=np.nan)
    elif ptypes.is_datetime64_any_dtype(s):
        values = (s - s.min()).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
    else:
        values = None
    if values is not None:
        finite = np.isfinite(values)
        fill = values[finite].min() - 1 if finite.any() else 0.0
        return np.where(finite, values, fill).reshape(-1, 1)
    codes, _ = pd.factorize(s.astype(str).where(s.notna(), "\0missing"))
    return codes.reshape(-1, 1).astype(float)


def _number_matrix(X: pd.DataFrame) -> np.ndarray:
    """``_single_column_matrix`` of every (number or date) column, side by side; the NumPy number
    columns (most of a wide table) in one pass."""
    matrix = np.empty(X.shape)
    plain = plain_number_positions(X)
    if plain:
        values = X.iloc[:, plain].to_numpy(dtype=float)
        finite = np.isfinite(values)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a column without a finite value
            fill = np.nanmin(np.where(finite, values, np.nan), axis=0) - 1
        matrix[:, plain] = np.where(finite, values, np.where(np.isnan(fill), 0.0, fill))
    for i in sorted(set(range(X.shape[1])) - set(plain)):
        matrix[:, i] = _single_column_matrix(X.iloc[:, i])[:, 0]
    return matrix


def _leakage_score(x: np.ndarray, is_code: bool, y: np.ndarray, classification: bool,
                   random_state: int) -> float:
    """Cross-validated score of predicting ``y`` from the single column ``x``."""
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if classification:
        splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=random_state)
    else:
        splitter = KFold(n_splits=3, shuffle=True, random_state=random_state)
    scores = []
    for train, test in splitter.split(x, y):
        if is_code:
            # A lookup table category -> majority class / mean: an unlimited-depth categorical
            # tree. Unseen categories get the training fold's overall answer.
            train_frame = pd.DataFrame({"x": x[train, 0], "y": y[train]})
            if classification:
                table = train_frame.groupby("x")["y"].agg(lambda v: v.value_counts().index[0])
                default = train_frame["y"].value_counts().index[0]
            else:
                table = train_frame.groupby("x")["y"].mean()
                default = train_frame["y"].mean()
            pred = pd.Series(x[test, 0]).map(table).fillna(default).to_numpy()
        else:
            model = (DecisionTreeClassifier if classification else DecisionTreeRegressor)(
                max_depth=4, random_state=random_state)
            pred = model.fit(x[train], y[train]).predict(x[test])
        if classification:
            scores.append(balanced_accuracy_score(y[test], pred.astype(y.dtype)))
        else:
            scores.append(r2_score(y[test], pred))
    return float(np.mean(scores))


def _screen_scores(matrix: np.ndarray, y: np.ndarray, classification: bool) -> np.ndarray:
    """Per column of ``matrix`` (rows × columns, numbers), the in-sample score of predicting ``y`` from
    up to ``LEAKAGE_SCREEN_BINS`` quantile bins of the column (tied values share a bin): the bin's majority
    class (balanced accuracy) or mean (R²). All columns at once, in a few vectorised passes.

    A depth-4 tree cuts a column into at most 16 intervals; finer bins lose at most the rows of the
    bins that straddle its cuts, and in-sample scores are optimistic, so a column whose tree scores
    above the threshold screens above ``threshold - LEAKAGE_SCREEN_MARGIN``.
    """
    from scipy.stats import rankdata

    n, p = matrix.shape
    n_bins = max(2, min(LEAKAGE_SCREEN_BINS, n // 4))
    bins = ((rankdata(matrix, method="min", axis=0) - 1) * n_bins // n).astype(np.int64)   # (n, p), ties together
    cell = bins + n_bins * np.arange(p)                                                   # (column, bin) ids
    if classification:
        n_classes = int(y.max()) + 1
        counts = np.bincount((cell * n_classes + y[:, None]).ravel(), minlength=p * n_bins * n_classes)
        counts = counts.reshape(p, n_bins, n_classes)
        majority = counts.argmax(axis=2)                                                   # (p, bins)
        hits = np.take_along_axis(counts, majority[..., None], axis=2)[..., 0]            # rows predicted right
        recall = np.zeros((p, n_classes))
        for k in range(n_classes):
            recall[:, k] = (hits * (majority == k)).sum(axis=1)
        return (recall / np.bincount(y, minlength=n_classes)).mean(axis=1)
    flat = cell.ravel()
    repeated = np.repeat(y, p)                                                            # y of each cell
    count = np.bincount(flat, minlength=p * n_bins).reshape(p, n_bins)
    total = np.bincount(flat, weights=repeated, minlength=p * n_bins).reshape(p, n_bins)
    explained = np.where(count > 0, total ** 2 / np.maximum(count, 1), 0.0).sum(axis=1)   # Σ n_b · mean_b²
    sst = float(((y - y.mean()) ** 2).sum())
    sse = float((y ** 2).sum()) - explained
    return 1.0 - sse / sst if sst > 0 else np.zeros(p)


def check_target_leakage(X: pd.DataFrame, y: pd.Series, task: str, *,
                         threshold: float = LEAKAGE_THRESHOLD,
                         sample_rows: int = LEAKAGE_SAMPLE_ROWS,
                         random_state: int = 0) -> Check:
    """Alert on single columns that alone predict the target almost perfectly.

    Each feature is scored on its own with 3-fold cross-validation on at most ``sample_rows``
    rows: a decision tree of depth 4 for numbers and dates, a category -> majority-class (or
    mean) lookup for other columns. Balanced accuracy (classification) or R² (regression)
    above ``threshold`` is reported. Number and date columns are first screened all at once
    (``_screen_scores``); those far below the threshold are not cross-validated.

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.Series([0, 1] * 50)
    >>> X = pd.DataFrame({"copy": y * 10, "noise": range(100)})
    >>> check_target_leakage(X, y, "binary").columns
    ('copy',)
    """
    classification = task != Task.REGRESSION
    if len(X) > sample_rows:
        rng = np.random.default_rng(random_state)
        idx = np.sort(rng.choice(len(X), size=sample_rows, replace=False))
        X, y = X.iloc[idx], y.iloc[idx]
    y_values = (pd.factorize(y)[0] if classification else y.to_numpy(dtype=float))
    if classification and np.bincount(y_values).min() < 3:
        keep = np.isin(y_values, np.flatnonzero(np.bincount(y_values) >= 3))
        X, y_values = X.iloc[keep], pd.factorize(y_values[keep])[0]
    if len(X) < 6 or (classification and len(np.unique(y_values)) < 2):
        return Check("target_leakage", PASSED,
                     "Too few rows to test single columns for target leakage.", "Nothing to do.")
    leaks = {}
    is_code = {col: not (ptypes.is_bool_dtype(dtype) or ptypes.is_datetime64_any_dtype(dtype) or (
        ptypes.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)))
        for col, dtype in X.dtypes.items()}
    numbers = [col for col in X.columns if not is_code[col]]
    as_numbers = {}
    if numbers:  # only the number and date columns that screen high are cross-validated
        matrix = _number_matrix(X[numbers])
        screen = _screen_scores(matrix, y_values, classification)
        as_numbers = {col: matrix[:, [i]] for i, col in enumerate(numbers)
                      if screen[i] >= threshold - LEAKAGE_SCREEN_MARGIN}
    for col in X.columns:
        if not (is_code[col] or col in as_numbers):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x = _single_column_matrix(X[col]) if is_code[col] else as_numbers[col]
                score = _leakage_score(x, is_code[col], y_values, classification, random_state)
        except (ValueError, TypeError) as exc:  # a column the check cannot score: skip it
            logger.debug("leakage check skipped column %r: %s", col, exc)
            continue
        if score > threshold:
            leaks[col] = score
    metric = "balanced accuracy" if classification else "R²"
    if not leaks:
        return Check("target_leakage", PASSED,
                     f"No single column predicts the target almost perfectly ({metric} above "
                     f"{threshold}).", "Nothing to do.")
    parts = ", ".join(f"'{c}' ({metric} {s:.2f})" for c, s in list(leaks.items())[:5])
    return Check(
        "target_leakage", ALERT,
        f"{len(leaks)} column(s) alone predict the target almost perfectly in cross-validation: "
        f"{parts}, which usually means they are derived from the target or recorded after it.",
        "Kept them; exclude them unless their values are known when you will make "
        "predictions.", tuple(leaks))
