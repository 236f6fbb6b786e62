"""Leakage and quality checks for find_extra_tasks.py: ``evaluate_target`` on one candidate target.

Drops features that alone (or by name, or as a 0/1 dummy, sub-category or sibling flag) give the
target away, rejects binned targets, and scores the rest with a 3-fold HistGradientBoosting smoke
model on a stratified subsample of at most 2,000 rows (rules in find_extra_tasks.py's docstring).
"""
from __future__ import annotations

import os
import re
from collections import Counter

import numpy as np
import pandas as pd
from extra_task_candidates import (
    FOLDS,
    LEAK_SCORE,
    MAX_CV,
    MIN_CLASS_ROWS,
    MIN_CV_OVER_CHANCE,
    MIN_FEATURES,
    SAMPLE_ROWS,
    SEED,
    encode,
    norm,
)
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier


# ---------------------------------------------------------------- modelling helpers
def subsample(y: pd.Series) -> np.ndarray:
    """Deterministic stratified row positions, at most SAMPLE_ROWS, >= min(10, class size) per class."""
    n = len(y)
    if n <= SAMPLE_ROWS:
        return np.arange(n)
    rng = np.random.RandomState(SEED)
    picked = []
    counts = y.value_counts()
    for cls in sorted(counts.index, key=str):
        pos = np.flatnonzero((y == cls).to_numpy())
        take = max(min(len(pos), MIN_CLASS_ROWS), int(round(SAMPLE_ROWS * len(pos) / n)))
        picked.append(rng.choice(pos, size=min(take, len(pos)), replace=False))
    return np.sort(np.concatenate(picked))


def single_column_score(x: np.ndarray, y: np.ndarray, folds) -> float:
    """Best 3-fold balanced accuracy of one column alone: depth-3 tree or value->class lookup."""
    filled = np.where(np.isnan(x), (np.nanmin(x) - 1.0) if np.isfinite(x).any() else 0.0, x)
    keys = np.where(np.isnan(x), np.inf, x)
    tree_scores, lookup_scores = [], []
    for train, test in folds:
        tree = DecisionTreeClassifier(max_depth=3, random_state=SEED)
        tree.fit(filled[train, None], y[train])
        tree_scores.append(balanced_accuracy_score(y[test], tree.predict(filled[test, None])))
        table = pd.crosstab(keys[train], y[train])
        mapping = dict(zip(table.index, table.idxmax(axis=1)))
        fallback = Counter(y[train]).most_common(1)[0][0]
        pred = np.array([mapping.get(k, fallback) for k in keys[test]], dtype=y.dtype)
        lookup_scores.append(balanced_accuracy_score(y[test], pred))
    return max(float(np.mean(tree_scores)), float(np.mean(lookup_scores)))


def is_target_dummy(x: np.ndarray, y: np.ndarray) -> bool:
    values = set(np.unique(x[~np.isnan(x)]).tolist())
    if not values or not values <= {0.0, 1.0}:
        return False
    for cls in np.unique(y):
        member = y == cls
        for flag in (x == 1.0, x == 0.0):
            union = np.sum(flag | member)
            if union and np.sum(flag & member) / union >= LEAK_SCORE:  # Jaccard of the two sets
                return True
    return False


def is_target_subcode(x: np.ndarray, y: np.ndarray) -> bool:
    """A 0/1 column whose 1s (>= 10 rows) all fall in one minority class and cover >= half of it:
    a sub-category of the target (e.g. 'killed in action' inside 'accidental death')."""
    values = set(np.unique(x[~np.isnan(x)]).tolist())
    if not values or not values <= {0.0, 1.0}:
        return False
    flag = x == 1.0
    if flag.sum() < MIN_CLASS_ROWS:
        return False
    classes, counts = np.unique(y[flag], return_counts=True)
    if len(classes) != 1:
        return False
    member = y == classes[0]
    majority = Counter(y).most_common(1)[0][0]
    return classes[0] != majority and flag.sum() >= 0.5 * member.sum()


def binned_from(x: np.ndarray, y: np.ndarray, feature: str, target: str) -> bool:
    """A leaky numeric feature that the target is named after (common prefix >= 3 characters, e.g.
    ageGroup/age, AltCat/Altitude) and that varies within classes (>= 2 distinct values in at least
    two): the target is a binning of that feature, not an observed class."""
    f, t = norm(feature), norm(target)
    if len(os.path.commonprefix([f, t])) < 3:
        return False
    ok = ~np.isnan(x)
    spread = [np.unique(x[ok & (y == c)]).size for c in np.unique(y)]
    return sum(v >= 2 for v in spread) >= 2


def sibling_flags(frame: pd.DataFrame, target: str) -> set[str]:
    """For a 0/1 target named like 'smooth_edge': the other 0/1 columns '*_edge' when there are >= 2
    (one-hot flags of one underlying variable, which together recode the target)."""
    def binary(col: str) -> bool:
        return frame[col].dropna().nunique() == 2

    parts = re.split(r"[._]", target)
    if len(parts) < 2 or not parts[-1] or not binary(target):
        return set()
    suffix = parts[-1].lower()
    found = {c for c in frame.columns if c != target and len(re.split(r"[._]", c)) >= 2
             and re.split(r"[._]", c)[-1].lower() == suffix and binary(c)}
    return found if len(found) >= 2 else set()


def name_recodes_target(feature: str, target: str) -> bool:
    f, t = norm(feature), norm(target)
    short = min(len(f), len(t))
    return f != t and short >= 3 and (f.startswith(t) or t.startswith(f))


def evaluate_target(frame: pd.DataFrame, target: str) -> dict:
    """Leak scan and smoke model for one candidate target; 'reject' says why it fails, if it does."""
    data = frame[frame[target].notna()].reset_index(drop=True)
    y_full = data[target].astype(str)
    rows = subsample(y_full)
    y = y_full.iloc[rows].to_numpy()
    X = data.drop(columns=[target]).iloc[rows].reset_index(drop=True)
    Xe = encode(X)
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(Xe, y))
    leaks, notes = [], []
    siblings = sibling_flags(data, target)
    for j, col in enumerate(X.columns):
        x = Xe[:, j]
        if col in siblings:
            leaks.append(col)
            notes.append(f"{col}: sibling 0/1 flag of the same variable")
        elif name_recodes_target(col, target):
            leaks.append(col)
            notes.append(f"{col}: name recodes target")
        elif is_target_dummy(x, y):
            leaks.append(col)
            notes.append(f"{col}: dummy of a target level")
        elif is_target_subcode(x, y):
            leaks.append(col)
            notes.append(f"{col}: 0/1 sub-category of one target level")
        else:
            score = single_column_score(x, y, folds)
            if score > LEAK_SCORE:
                leaks.append(col)
                notes.append(f"{col}: alone {score:.3f}")
    for j, col in enumerate(X.columns):
        if col in leaks and binned_from(Xe[:, j], y, col, target):
            return {"target": target, "leak_dropped": ";".join(leaks), "leak_notes": notes,
                    "n_features": 0, "n_classes": int(y_full.nunique()), "cv_score": np.nan,
                    "reject": f"target is a thresholding of numeric feature '{col}'"}
    keep = [j for j, c in enumerate(X.columns) if c not in leaks]
    n_classes = int(y_full.nunique())
    out = {"target": target, "leak_dropped": ";".join(leaks), "leak_notes": notes,
           "n_features": len(keep), "n_classes": n_classes, "cv_score": np.nan, "reject": None}
    if len(keep) < MIN_FEATURES:
        out["reject"] = "fewer than 3 features after dropping leaks"
        return out
    varying = [j for j in keep if np.unique(Xe[:, j][~np.isnan(Xe[:, j])]).size > 1]
    if not varying:
        out["reject"] = "all features constant"
        return out
    model = HistGradientBoostingClassifier(random_state=SEED)
    cv = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    try:
        score = float(np.mean(cross_val_score(model, Xe[:, varying], y, cv=cv,
                                              scoring="balanced_accuracy", error_score="raise")))
    except ValueError as exc:
        out["reject"] = f"smoke model failed: {str(exc).splitlines()[0][:80]}"
        return out
    out["cv_score"] = score
    if score >= MAX_CV:
        out["reject"] = f"trivially solved (cv {score:.3f})"
    elif score <= 1.0 / n_classes + MIN_CV_OVER_CHANCE:
        out["reject"] = f"no signal (cv {score:.3f}, chance {1.0 / n_classes:.3f})"
    return out
