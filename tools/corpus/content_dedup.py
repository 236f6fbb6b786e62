"""Content fingerprints that see through renamed, re-coded and rescaled copies of a table.

The corpus's own fingerprint (``automl_engine.data.fingerprint``) hashes column names and rows,
so it only catches exact copies. KEEL ships tables that other packages ship too, with other
column names, class labels, scaling or a few rows removed (KEEL's ``wisconsin`` has 683 of the
699 rows, its ``titanic`` is standardised), and its imbalanced sets are one-vs-rest variants of a
few base tables. Three checks, each pure and tested on small frames:

* ``keel_base``: the base table a KEEL name is a variant of (``yeast-1_vs_7`` -> ``yeast``).
* ``row_containment``: the share of one table's distinct rows found in another with the same
  number of columns (a variant that keeps some classes of its base).
* ``same_content``: per-column profiles that ignore names, labels and affine scaling (value
  shares of discrete columns; the distribution of continuous ones, centred on the
  median and scaled by the interquartile range, compared by Kolmogorov-Smirnov distance); two tables match when
  their row counts are within 10%, the narrower has at least half the columns of the wider, and
  most of its columns, at least two of them informative, find a partner (continuous columns:
  Kolmogorov-Smirnov distance <= 0.035).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

QUANTILES = np.linspace(0.0, 1.0, 501)
CONTINUOUS_MIN_DISTINCT = 11
KS_TOLERANCE = 0.035  # largest gap between the two standardised distribution functions
WIDTH_RATIO = 0.5
SHARE_TOLERANCE = 0.02
ROW_TOLERANCE = 0.10
MATCH_SHARE = 0.6
CONTAINMENT = 0.9


def keel_base(name: str) -> str:
    """The base table of a KEEL data set name: class specs and variant numbers stripped.

    >>> [keel_base(n) for n in ("abalone9-18", "kr-vs-k-zero-one_vs_draw", "car-vgood", "led7digit")]
    ['abalone', 'kr-vs-k', 'car', 'led7digit']
    """
    base = re.sub(r"-(good|vgood|normal-fibrosis|F)$", "", name)
    base = re.sub(r"-(c?\d|zero|one|three|buffer|guess|land|rootkit).*$", "", base)
    return re.sub(r"\d+$", "", base) or name


def column_profile(values: pd.Series) -> dict:
    """A name-, label- and scale-free summary of one column."""
    s = values.dropna()
    distinct = int(s.nunique())
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if numeric and distinct >= CONTINUOUS_MIN_DISTINCT:
        x = s.to_numpy(dtype=float)
        q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
        spread = (q3 - q1) or x.std() or 1.0  # robust: a few rows more or less barely move it
        return {"kind": "continuous", "distinct": distinct, "quantiles": np.quantile((x - median) / spread, QUANTILES)}
    shares = np.sort(s.value_counts(normalize=True).to_numpy())[::-1][:10]
    return {"kind": "discrete", "distinct": distinct, "shares": shares}


def signature(frame: pd.DataFrame) -> dict:
    """Row count and the profile of every column (what ``same_content`` compares)."""
    return {"rows": len(frame), "columns": [column_profile(frame[c]) for c in frame.columns]}


def columns_match(a: dict, b: dict) -> bool:
    """Whether two column profiles could be the same variable (rescaled, relabelled, a few rows off)."""
    if a["kind"] != b["kind"]:
        return False
    if a["kind"] == "continuous":  # not the distinct counts: KEEL rounds some columns (wdbc)
        return ks_distance(a["quantiles"], b["quantiles"]) <= KS_TOLERANCE
    if a["distinct"] != b["distinct"]:
        return False
    return bool(np.max(np.abs(a["shares"] - b["shares"])) <= SHARE_TOLERANCE)


def ks_distance(qa: np.ndarray, qb: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between two samples given as sorted quantiles."""
    points = np.concatenate([qa, qb])
    fa = np.searchsorted(qa, points, side="right") / len(qa)
    fb = np.searchsorted(qb, points, side="right") / len(qb)
    return float(np.max(np.abs(fa - fb)))


def _informative(profile: dict) -> bool:
    return profile["kind"] == "continuous" or profile["distinct"] >= 5


def same_content(a: dict, b: dict) -> bool:
    """Whether two signatures describe the same table (renamed, recoded, rescaled or a few rows off).

    Rows within 10%, the narrower table at least half as wide, and at least 60% of its columns (two of them informative:
    continuous or >= 5 values) matched one-to-one with the other's; a narrower table with fewer
    than two informative columns must have all its columns matched (at least three).
    """
    lo, hi = sorted((a["rows"], b["rows"]))
    if hi == 0 or (hi - lo) / hi > ROW_TOLERANCE:
        return False
    small, large = sorted((a["columns"], b["columns"]), key=len)
    if len(small) < WIDTH_RATIO * len(large):  # a few columns of a wide table are another task
        return False
    used: set[int] = set()
    matched = informative = 0
    for col in small:
        partner = next((j for j, other in enumerate(large) if j not in used and columns_match(col, other)), None)
        if partner is not None:
            used.add(partner)
            matched += 1
            informative += _informative(col)
    if sum(_informative(col) for col in small) < 2:
        return len(small) >= 3 and matched == len(small)
    return matched >= MATCH_SHARE * len(small) and informative >= 2


def row_keys(frame: pd.DataFrame) -> set:
    """The distinct rows of ``frame`` as hashable tuples (numbers rounded to 6 significant digits)."""
    cols = []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            cols.append([float(f"{v:.6g}") if pd.notna(v) else None for v in s.to_numpy(dtype=float)])
        else:
            cols.append([None if pd.isna(v) else str(v).strip() for v in s])
    return set(zip(*cols, strict=True))


def row_containment(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Share of the smaller table's distinct rows that the other holds (0 when the widths differ)."""
    if a.shape[1] != b.shape[1]:
        return 0.0
    ka, kb = row_keys(a), row_keys(b)
    small, large = sorted((ka, kb), key=len)
    return len(small & large) / len(small) if small else 0.0


def group_variants(names: list[str], features: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Each name's group: names with the same ``keel_base`` or whose feature rows contain each other.

    ``features`` maps a name to its table without the target. Returns name -> the group's first
    name in sorted order (union-find, deterministic).
    """
    parent = {n: n for n in names}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def union(x: str, y: str) -> None:
        rx, ry = sorted((find(x), find(y)))
        parent[ry] = rx

    ordered = sorted(names)
    by_base: dict[str, str] = {}
    for n in ordered:
        base = keel_base(n)
        if base in by_base:
            union(by_base[base], n)
        else:
            by_base[base] = n
    keys = {n: row_keys(features[n]) for n in ordered}
    for i, x in enumerate(ordered):
        for y in ordered[i + 1:]:
            if find(x) == find(y) or features[x].shape[1] != features[y].shape[1]:
                continue
            small, large = sorted((keys[x], keys[y]), key=len)
            if small and len(small & large) >= CONTAINMENT * len(small):
                union(x, y)
    return {n: find(n) for n in names}
