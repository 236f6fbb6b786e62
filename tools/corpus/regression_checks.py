"""Numeric outcomes of a table and their leakage scan, for find_big_tasks.py (the regression side).

``regression_candidates``: numeric columns named like an outcome (price, wage, income, score, ...),
never identifiers, times, units or survey design weights (dweight, perwt, ...), >= 20 distinct
values and <= 5% missing, not constant within >= 90% of the units of an id column (a subject's
height in repeated measures), in column order.
``evaluate_regression``: drops features that give the target away (alone, a depth-6 tree on it
reaches 3-fold R^2 > 0.98; or named as the target plus a suffix: ``lwage`` for
``wage``), and scores the rest with a 3-fold HistGradientBoosting smoke model on at most 2,000 rows;
kept when 0.05 < R^2 < 0.995 with >= 3 features left.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from extra_task_candidates import (
    FOLDS,
    LEAK_SCORE,
    MAX_CV,
    MAX_TARGET_MISSING,
    MIN_FEATURES,
    SAMPLE_ROWS,
    SEED,
    TIME_NAME,
    encode,
    is_unit_column,
    nests,
    norm,
)
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold, cross_val_score
from sklearn.tree import DecisionTreeRegressor

OUTCOME_NAME = re.compile(r"price|wage|income|salary|earn|cost|value|score|yield|weight|height|amount|sales|"
                          r"rent|expend|spend|revenue|charge|bwt|gpa|medv|mpg|hours|length|consum|output|profit")
SURVEY_WEIGHT = re.compile(r"^(d|p|per|ps|pw|an|samp|survey|design)w(eigh)?ts?$|^\w*(wgt|wght)\w*$")
MIN_DISTINCT, MIN_R2 = 20, 0.05


def regression_candidates(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """Numeric outcome columns, in column order, with why each is one."""
    found = []
    for col in frame.columns:
        s = frame[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        name = str(col).lower()
        if TIME_NAME.search(name) or is_unit_column(name) or not OUTCOME_NAME.search(name) \
                or SURVEY_WEIGHT.match(name):  # a survey's design weight is not an outcome
            continue
        if s.isna().mean() > MAX_TARGET_MISSING or s.nunique() < MIN_DISTINCT:
            continue
        units = [c for c in frame.columns if c != col and is_unit_column(str(c))]
        if any(nests(frame, unit, col) for unit in units):  # an attribute of a repeatedly measured unit
            continue
        found.append((col, f"numeric outcome '{col}' ({s.nunique()} values)"))
    return found


def _r2_alone(x: np.ndarray, y: np.ndarray, folds) -> float:
    filled = np.where(np.isnan(x), (np.nanmin(x) - 1.0) if np.isfinite(x).any() else 0.0, x)
    scores = []
    for train, test in folds:
        tree = DecisionTreeRegressor(max_depth=6, min_samples_leaf=5, random_state=SEED)
        tree.fit(filled[train, None], y[train])
        pred = tree.predict(filled[test, None])
        denom = ((y[test] - y[test].mean()) ** 2).sum() or 1.0
        scores.append(1.0 - ((y[test] - pred) ** 2).sum() / denom)
    return float(np.mean(scores))


def _named_after(feature: str, target: str) -> bool:
    f, t = norm(feature), norm(target)
    return f != t and ((len(t) >= 3 and t in f) or (len(f) >= 4 and f in t))


def evaluate_regression(frame: pd.DataFrame, target: str) -> dict:
    """Leak scan and smoke model for one numeric target; 'reject' says why it fails, if it does."""
    data = frame[frame[target].notna()].reset_index(drop=True)
    if len(data) > SAMPLE_ROWS:
        data = data.sample(SAMPLE_ROWS, random_state=SEED).reset_index(drop=True)
    y = data[target].to_numpy(dtype=float)
    X = data.drop(columns=[target])
    Xe = encode(X)
    folds = list(KFold(FOLDS, shuffle=True, random_state=SEED).split(Xe))
    leaks, notes = [], []
    for j, col in enumerate(X.columns):
        if _named_after(col, target):
            leaks.append(col)
            notes.append(f"{col}: named after the target")
            continue
        score = _r2_alone(Xe[:, j], y, folds)
        if score > LEAK_SCORE:
            leaks.append(col)
            notes.append(f"{col}: alone R2 {score:.3f}")
    keep = [j for j, c in enumerate(X.columns) if c not in leaks]
    out = {"target": target, "leak_dropped": ";".join(leaks), "leak_notes": notes,
           "n_features": len(keep), "cv_score": np.nan, "reject": None}
    varying = [j for j in keep if np.unique(Xe[:, j][~np.isnan(Xe[:, j])]).size > 1]
    if len(varying) < MIN_FEATURES:
        out["reject"] = "fewer than 3 varying features after dropping leaks"
        return out
    cv = KFold(FOLDS, shuffle=True, random_state=SEED)
    score = float(np.mean(cross_val_score(HistGradientBoostingRegressor(random_state=SEED), Xe[:, varying], y,
                                          cv=cv, scoring="r2")))
    out["cv_score"] = score
    if score >= MAX_CV:
        out["reject"] = f"trivially solved (R2 {score:.3f})"
    elif score <= MIN_R2:
        out["reject"] = f"no signal (R2 {score:.3f})"
    return out
