"""Dataset meta-features for the warm start: sizes, shape, target, column mix, moments, landmarkers.

The same code runs on the corpus (offline) and on a user's dataset at search time; large
tables are sub-sampled so it stays under ~2 s for 100,000 rows.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl_engine.data import column_types as kinds
from automl_engine.task import Task

STATS_ROWS = 10_000
LANDMARK_ROWS = 1_000
LANDMARK_FOLDS = 3
LANDMARK_MAX_COLUMNS = 2000
"""Landmarkers of a wider table use a seeded sample of this many columns: LDA on all 10,000 columns of a
1,000-row table took 26 s of a 20 s budget. Every corpus table is narrower (the widest has 1,558), so
the shipped knowledge's meta-features are computed the same way."""

META_FEATURE_NAMES = (
    "n_rows", "log_n_rows", "n_features", "log_n_features", "dimensionality", "log_dimensionality",
    "n_classes", "class_entropy", "class_imbalance", "missing_ratio", "rows_with_missing_ratio",
    "categorical_share", "numeric_share", "datetime_text_share",
    "skew_mean", "skew_max", "kurtosis_mean", "kurtosis_max", "target_skew",
    "landmark_1nn", "landmark_stump", "landmark_nb", "landmark_linear",
)


def meta_feature_vector(meta_features: dict) -> np.ndarray:
    """A dataset's meta-features (name -> value) in :data:`META_FEATURE_NAMES` order (NaN = unknown)."""
    return np.array([meta_features.get(n, np.nan) for n in META_FEATURE_NAMES], dtype=float)


def _as_floats(frame: pd.DataFrame) -> np.ndarray:
    """Numeric columns as a float matrix (text that is not a number → NaN); columns already held as numbers
    are taken as they are, so a wide table is not converted column by column."""
    if all(kinds.held_as_numpy_numbers(dtype) for dtype in frame.dtypes):
        return frame.to_numpy(dtype=float)
    return frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def _numeric_matrix(X: pd.DataFrame, column_types: dict[str, str]) -> np.ndarray:
    """Numeric columns as floats, categoricals ordinal-coded; datetime and text left out."""
    numeric = kinds.columns_of_kind(column_types, kinds.NUMERIC)
    categorical = kinds.columns_of_kind(column_types, kinds.CATEGORICAL, kinds.BOOLEAN, kinds.HIGH_CARDINALITY)
    blocks = []
    if numeric:
        blocks.append(_as_floats(X[numeric]))
    if categorical:
        cats = X[categorical].astype("object").where(X[categorical].notna(), "__missing__").astype(str)
        blocks.append(OrdinalEncoder().fit_transform(cats))
    if not blocks:
        return np.zeros((len(X), 1))
    return np.column_stack(blocks)


def _moments(values: np.ndarray) -> tuple[float, float, float, float]:
    if values.shape[1] == 0:
        return 0.0, 0.0, 0.0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        skew = np.nan_to_num(stats.skew(values, axis=0, nan_policy="omit"), nan=0.0)
        kurt = np.nan_to_num(stats.kurtosis(values, axis=0, nan_policy="omit"), nan=0.0)
    skew, kurt = np.abs(np.asarray(skew, dtype=float)), np.asarray(kurt, dtype=float)
    return float(skew.mean()), float(skew.max()), float(kurt.mean()), float(kurt.max())


def _landmarkers(Z: np.ndarray, y: np.ndarray, task: str, seed: int) -> list[float]:
    if Z.shape[1] > LANDMARK_MAX_COLUMNS:
        Z = Z[:, np.sort(np.random.default_rng(seed).choice(Z.shape[1], LANDMARK_MAX_COLUMNS, replace=False))]
    is_clf = task != Task.REGRESSION
    if is_clf:
        _, counts = np.unique(y, return_counts=True)
        folds = min(LANDMARK_FOLDS, int(counts.min()))
        cv = (StratifiedKFold(folds, shuffle=True, random_state=seed) if folds >= 2
              else KFold(LANDMARK_FOLDS, shuffle=True, random_state=seed))
        scoring = "balanced_accuracy"
        models = [KNeighborsClassifier(1), DecisionTreeClassifier(max_depth=1, random_state=seed),
                  GaussianNB(), LinearDiscriminantAnalysis()]
    else:
        cv, scoring = KFold(LANDMARK_FOLDS, shuffle=True, random_state=seed), "r2"
        models = [KNeighborsRegressor(1), DecisionTreeRegressor(max_depth=1, random_state=seed),
                  DecisionTreeRegressor(max_depth=3, random_state=seed), LinearRegression()]
    scores = []
    for model in models:
        pipe = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(), model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                value = float(np.mean(cross_val_score(pipe, Z, y, cv=cv, scoring=scoring)))
            except ValueError:
                value = 0.0
        scores.append(max(value, -1.0) if np.isfinite(value) else 0.0)
    return scores


def compute_meta_features(X: pd.DataFrame, y, task: str, column_types: dict[str, str],
                          random_state: int = 0) -> dict[str, float]:
    """Meta-features of one dataset, as a dict over ``META_FEATURE_NAMES``.

    Parameters
    ----------
    X : DataFrame of feature columns; y : target; task : "binary", "multiclass" or "regression";
    column_types : feature column → kind (``automl_engine.data.column_types``).
    """
    rng = np.random.default_rng(random_state)
    y = np.asarray(y)
    n_rows, n_features = len(X), max(1, len(column_types))
    if n_rows > STATS_ROWS:
        keep = np.sort(rng.choice(n_rows, STATS_ROWS, replace=False))
        X, y = X.iloc[keep], y[keep]
    used = [c for c in column_types if c in X.columns]
    frame = X[used]
    missing = frame.isna().to_numpy()
    counts = dict(zip(*np.unique(y, return_counts=True))) if task != Task.REGRESSION else {}
    probabilities = np.array(list(counts.values()), dtype=float) / max(1, len(y)) if counts else np.array([1.0])
    numeric_cols = kinds.columns_of_kind(column_types, kinds.NUMERIC)
    numeric = _as_floats(frame[numeric_cols]) if numeric_cols else np.empty((len(frame), 0))
    skew_mean, skew_max, kurt_mean, kurt_max = _moments(numeric)
    target_skew = float(abs(np.nan_to_num(stats.skew(y.astype(float))))) if task == Task.REGRESSION else 0.0
    Z = _numeric_matrix(frame, {c: column_types[c] for c in used})
    if len(Z) > LANDMARK_ROWS:
        keep = np.sort(rng.choice(len(Z), LANDMARK_ROWS, replace=False))
        Z, y_small = Z[keep], y[keep]
    else:
        y_small = y
    landmarks = _landmarkers(Z, y_small, task, random_state)
    shares = {kind: len(kinds.columns_of_kind(column_types, *kind_set)) / n_features for kind, kind_set in {
        "categorical": (kinds.CATEGORICAL, kinds.BOOLEAN, kinds.HIGH_CARDINALITY),
        "numeric": (kinds.NUMERIC,), "other": (kinds.DATETIME, kinds.TEXT)}.items()}
    values = [
        n_rows, np.log(n_rows), n_features, np.log(n_features), n_features / n_rows, np.log(n_features / n_rows),
        len(counts), float(-(probabilities * np.log(probabilities)).sum()),
        float(min(counts.values()) / max(counts.values())) if counts else 1.0,
        float(missing.mean()) if missing.size else 0.0,
        float(missing.any(axis=1).mean()) if missing.size else 0.0,
        shares["categorical"], shares["numeric"], shares["other"],
        skew_mean, skew_max, kurt_mean, kurt_max, target_skew, *landmarks,
    ]
    return {name: float(value) for name, value in zip(META_FEATURE_NAMES, values)}
