"""SHAP values of a fitted model, in terms of the user's original columns.

What is explained
-----------------
Every catalogue pipeline starts with a ``ColumnTransformer`` whose outputs each depend on one
original column (one-hot levels, TF-IDF terms, datetime parts, missing-value indicators, target
encodings). That *front* of the pipeline is checked to be column-separable on the data being
explained, each of its output features is assigned to its source column, and SHAP values of the
transformed features are summed per source column. Then:

* **tree** families (decision tree, random forest, extra trees, histogram gradient boosting,
  LightGBM, XGBoost) use ``shap.TreeExplainer`` (path-dependent TreeSHAP: its base value is the
  model's average output over its training data, as the trees' node counts record it) over the
  transformed features;
* **linear** families (logistic regression, ridge, lasso, elastic net) use
  ``shap.LinearExplainer`` (interventional); a PCA step before the model is folded into the
  coefficients, since PCA followed by a linear model is still linear in PCA's inputs;
* every other family, any pipeline with a step that mixes columns (polynomial features), and an
  ensemble as a whole use ``shap.PermutationExplainer`` over the original columns. The masked
  model is evaluated by recombining the precomputed per-column transformed features of explained
  and background rows, which is the pipeline itself on the recombined raw rows (checked on random
  recombinations), without re-running the preprocessing for every coalition. A pipeline whose
  front is not separable is evaluated on recombined raw rows instead.

The explained output (``Explanation.output_kind``) is the regression prediction (``"value"``),
the chosen class's probability (``"probability"``: forests, trees and every model-agnostic
explanation), its log-odds (``"log-odds"``: binary logistic regression and boosting) or its raw
softmax input (``"raw score"``: multiclass logistic regression and boosting).

Cost
----
The permutation explainer's cost is bounded by a model-row budget and, by default, by a time
budget (``explain(..., time_budget=TIME_BUDGET_SECONDS)``): the explainer is timed on a few rows
and, if needed, uses fewer permutations and background rows, then explains a seeded random subset
of the rows (``Explanation.n_requested`` rows were asked for, ``len(values)`` explained); the tree
explainer only cuts rows. ``automl_engine.explain.budget`` has the rules and the minimums. The
permutation code and the column mapping live in ``automl_engine.explain.permutation``.

Additivity
----------
``base_value + values.sum(axis=1) == output`` holds within ``ADDITIVITY_TOLERANCE`` (relative to
``max(1, |output|)``: 1e-5 for tree explainers, whose models work in float32, 1e-9 for linear and
permutation explainers) for every family and for the ensemble: tree, linear and permutation SHAP
are all exact in their sum (the permutation explainer's terms telescope). ``output`` is computed
by the model itself on the explained rows, so the check covers the column mapping as well.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from automl_engine.catalogue import ExplainTraits, explain_traits
from automl_engine.catalogue.steps import EncodedLabelClassifier
from automl_engine.errors import DataError
from automl_engine.explain import budget as budget
from automl_engine.explain.budget import (  # noqa: F401
    AGNOSTIC_BUDGET,
    MAX_PERMUTATIONS,
    MIN_AGNOSTIC_BACKGROUND,
    TIME_BUDGET_SECONDS,
    Deadline,
)
from automl_engine.explain.permutation import (
    _Member,
    _Permutation,
    _split,
    _transform,
    feature_groups,
)
from automl_engine.model.unwrap import members, unwrap, used_columns
from automl_engine.search.ensemble import EnsembleModel
from automl_engine.task import Task

logger = logging.getLogger(__name__)

ADDITIVITY_TOLERANCE = {"tree": 1e-5, "linear": 1e-9, "permutation": 1e-9}
"""Largest ``|base_value + sum(values) - output| / max(1, |output|)`` per explainer. Tree models
store leaf values and compare inputs in float32 (scikit-learn trees, XGBoost), so their sums carry
float32 rounding; linear and permutation SHAP are exact up to float64 rounding."""


@dataclass
class Explanation:
    """SHAP values of one model output on some rows, per original column.

    Attributes
    ----------
    values : pandas.DataFrame
        Rows × original columns (the columns the model uses), indexed like the explained rows.
    base_value : float
        The expected output over the background rows.
    output : numpy.ndarray
        The explained model output per row; ``base_value + values.sum(axis=1) == output``
        within ``ADDITIVITY_TOLERANCE[explainer]``.
    data : pandas.DataFrame
        The explained rows (original columns, as given).
    class_label : object or None
        The class whose output is explained (None for regression).
    output_kind : {"value", "probability", "log-odds", "raw score"}
    explainer : {"tree", "linear", "permutation"}
    n_background : int
        Background rows the expectation is taken over (0 for the tree explainer, whose base value
        is the model's average output over its training data).
    n_requested : int
        Rows asked for (``min(max_rows, len(X))``); ``len(values)`` is smaller when the time
        budget cut the sample.
    time_limited : bool
        The time budget cut something: explained rows, background rows or permutations.
    other_classes : dict
        Class index → Explanation of that class on the same rows, when the explainer computed every
        class in the same pass (the tree explainer on a multiclass model); empty otherwise.
    """

    values: pd.DataFrame
    base_value: float
    output: np.ndarray
    data: pd.DataFrame
    class_label: object = None
    output_kind: str = "value"
    explainer: str = "permutation"
    n_background: int = 0
    classes: list = field(default_factory=list)
    n_requested: int = 0
    time_limited: bool = False
    other_classes: dict = field(default_factory=dict, repr=False)

    def importance(self) -> pd.Series:
        """Mean absolute SHAP value per column, largest first."""
        return self.values.abs().mean().sort_values(ascending=False)

    def additivity_error(self) -> float:
        """Largest relative gap between ``base_value + values.sum(axis=1)`` and ``output``."""
        if len(self.output) == 0:
            return 0.0
        gap = np.abs(self.base_value + self.values.to_numpy().sum(axis=1) - self.output)
        return float(np.max(gap / np.maximum(1.0, np.abs(self.output))))


# -- what is being explained ------------------------------------------------------------------
def _name(estimator) -> str:
    return type(estimator).__name__


def _position(labels, label) -> int:
    matches = np.flatnonzero(np.asarray(labels) == label)
    if not len(matches):
        raise DataError(f"the model has no class {label!r}; choose one of {list(labels)}")
    return int(matches[0])


def _output_fn(model, task: str, label) -> Callable[[object], np.ndarray]:
    """The explained output of a model or pipeline: regression value, or the probability of ``label``."""
    if task == Task.REGRESSION:
        return lambda X: np.asarray(model.predict(X), dtype=float).reshape(-1)
    position = _position(model.classes_, label)
    return lambda X: np.asarray(model.predict_proba(X), dtype=float)[:, position]


# -- exact explainers -------------------------------------------------------------------------
def _pick(values: np.ndarray, base, position: int, n_outputs: int):
    """Values (n, p) and base of one output from a possibly multi-output explanation."""
    values = np.asarray(values, dtype=float)
    base = np.ravel(np.asarray(base, dtype=float))
    if values.ndim == 3:
        if values.shape[2] == 1:
            return values[:, :, 0], float(base[0]), 1.0
        return values[:, :, position], float(base[position]), 1.0
    if n_outputs <= 2:  # one output for a binary model: the positive class's margin
        return values, float(base[0]), 1.0 if position == 1 else -1.0
    raise ValueError(f"unexpected SHAP value shape {values.shape}")


def _tree(model, task: str, label, Z_x: np.ndarray):
    """(values (n, p), base, output (n,), output kind) with TreeExplainer."""
    return _tree_classes(model, task, [label], Z_x)[label]


def _tree_classes(model, task: str, labels: list, Z_x: np.ndarray) -> dict:
    """``_tree``'s result for each of ``labels`` (None for regression), from one TreeExplainer pass."""
    import shap

    inner = model.estimator_ if isinstance(model, EncodedLabelClassifier) else model
    # Path-dependent TreeSHAP: exact, and its cost does not grow with a background (interventional
    # TreeSHAP over 100 background rows took ~30 s CPU for 100 deep extra-trees on 1,000 rows).
    explainer = shap.TreeExplainer(inner, feature_perturbation="tree_path_dependent", model_output="raw")
    raw = explainer.shap_values(Z_x, check_additivity=False)
    if task == Task.REGRESSION:
        values, base, _ = _pick(raw, explainer.expected_value, 0, 1)
        output = np.asarray(model.predict(Z_x), dtype=float)
        return {label: (values, base, output, "value") for label in labels}
    classes = np.asarray(model.classes_)
    name = _name(inner)
    if explain_traits().get(name, ExplainTraits()).probability_output:
        margin, kind = model.predict_proba(Z_x), "probability"
    else:
        if name.startswith("HistGradientBoosting"):
            margin = inner.decision_function(Z_x)
        elif name.startswith("LGBM"):
            margin = inner.predict(Z_x, raw_score=True)
        else:
            margin = inner.predict(Z_x, output_margin=True)
        kind = "log-odds" if len(classes) == 2 else "raw score"
    margin = np.asarray(margin, dtype=float)
    found = {}
    for label in labels:
        position = _position(classes, label)
        values, base, sign = _pick(raw, explainer.expected_value, position, len(classes))
        if kind == "probability":
            found[label] = values, base, margin[:, position], kind
        else:
            output = margin[:, position] if margin.ndim == 2 else sign * margin
            found[label] = sign * values, sign * base, output, kind
    return found


def _linear(model, middle, task: str, label, Z_bg: np.ndarray, Z_x: np.ndarray):
    """(values (n, p), base, output (n,), output kind) with LinearExplainer; PCA folded into the weights."""
    import shap

    coef = np.atleast_2d(np.asarray(model.coef_, dtype=float))
    intercept = np.ravel(np.asarray(model.intercept_, dtype=float))
    if task == Task.REGRESSION:
        w, b, kind = coef[0], intercept[0], "value"
    else:
        position = _position(model.classes_, label)
        if coef.shape[0] == 1:  # binary: one margin, the log-odds of classes_[1]
            sign = 1.0 if position == 1 else -1.0
            w, b, kind = sign * coef[0], sign * intercept[0], "log-odds"
        else:
            w, b, kind = coef[position], intercept[position], "raw score"
    for _, pca in reversed(middle):  # z = (x - mean) @ components.T [/ sqrt(var)] → linear in x
        scaled = w / np.sqrt(pca.explained_variance_) if pca.whiten else w
        w = pca.components_.T @ scaled
        b = b - pca.mean_ @ w
    explainer = shap.LinearExplainer((w, b), shap.maskers.Independent(Z_bg, max_samples=len(Z_bg)))
    values = np.asarray(explainer.shap_values(Z_x), dtype=float)
    base = float(np.ravel(explainer.expected_value)[0])
    Z_model = _transform(middle, Z_x)
    if task == Task.REGRESSION:
        output = np.asarray(model.predict(Z_model), dtype=float)
    else:
        margin = np.asarray(model.decision_function(Z_model), dtype=float)
        output = margin[:, _position(model.classes_, label)] if margin.ndim == 2 else (
            margin if _position(model.classes_, label) == 1 else -margin)
    return values, base, output, kind


# -- model-agnostic explainer ------------------------------------------------------------------
def _prepare_members(estimator, task, label, frame, columns, random_state) -> list[_Member]:
    prepared = []
    for weight, member in members(estimator):
        front, middle, model = _split(member)
        groups, Z = (feature_groups(front, frame, columns, random_state) if front else (None, None))
        if groups is None:
            if front:
                logger.info("%s: preprocessing mixes columns; evaluating recombined raw rows", _name(model))
            prepared.append(_Member(weight, _output_fn(member, task, label)))
        else:
            prepared.append(_Member(weight, _output_fn(model, task, label), groups, Z, list(middle)))
    return prepared


# -- entry point -------------------------------------------------------------------------------
def _choose_class(estimator, classes, class_index, data: pd.DataFrame):
    if classes is None:
        return None
    if class_index is None:
        class_index = 1 if len(classes) == 2 else int(np.argmax(np.asarray(estimator.predict_proba(data)).mean(axis=0)))
    if not -len(classes) <= int(class_index) < len(classes):
        raise DataError(f"class_index {class_index} is out of range; the model has {len(classes)} classes")
    return classes[int(class_index)]


def _sample(X: pd.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(len(X), size=n, replace=False)) if len(X) > n else np.arange(len(X))


def explain(model, X, *, max_rows: int = 1000, background=100, class_index: int | None = None,
            random_state: int = 0, progress: Callable[[float, str], None] | None = None,
            time_budget: float | None = TIME_BUDGET_SECONDS) -> Explanation:
    """SHAP values of ``model`` on rows of ``X``, summed back to the original columns.

    Parameters
    ----------
    model : AutoML, loaded model, scikit-learn Pipeline or EnsembleModel
        A fitted model taking the user's raw columns.
    X : pandas.DataFrame
        Rows with the model's columns (others are ignored).
    max_rows : int
        At most this many rows are explained (a seeded random sample, in their original order).
    background : int or pandas.DataFrame
        Rows the expectation is taken over: a sample of this many rows of ``X``, or given rows
        (e.g. training rows). The permutation explainer uses at most as many as its budget allows.
    class_index : int, optional
        Position in the model's classes of the class to explain; default: the positive class
        (``classes[1]``) for binary, the class with the highest mean probability for multiclass.
    random_state : int
        Seed of the row samples and of the permutations.
    progress : callable(fraction, message), optional
        Called as the work advances.
    time_budget : float or None
        Seconds the explanation aims to take (from the call). The explainer is timed on a few rows
        first; if the rest would not fit, the permutation explainer uses fewer permutations and
        background rows, then both explainers explain a seeded random subset of the rows (never
        fewer than ``MIN_EXPLAINED_ROWS``; the permutation explainer also stops early if it runs
        past the deadline), and ``Explanation.time_limited`` is set. A model too
        slow even for those minimums takes longer. The sizes then depend on the machine's speed and
        load; None: they depend only on the inputs (see ``automl_engine.explain.budget``).

    Returns
    -------
    Explanation

    Raises
    ------
    DataError
        ``X`` lacks some of the model's columns, or ``class_index`` is out of range.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> e = explain(RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y), X.head(20))
    >>> e.values.shape, bool(abs(e.base_value + e.values.sum(axis=1) - e.output).max() < 1e-6)
    ((20, 10), True)
    """
    deadline = Deadline(time_budget) if time_budget is not None else None
    estimator, task, classes, columns = unwrap(model)
    if not isinstance(X, pd.DataFrame):
        raise DataError("X must be a table (a pandas DataFrame) with the model's columns")
    if columns is None:
        found = [used_columns(m) for _, m in members(estimator)]
        columns = list(dict.fromkeys(c for cols in found if cols for c in cols)) or [str(c) for c in X.columns]
    missing = [c for c in columns if c not in X.columns]
    if missing:
        shown = ", ".join(f"'{c}'" for c in missing[:5])
        raise DataError(f"the rows to explain lack the model's column(s) {shown}; add them (cells may be empty)")
    if len(X) == 0:
        raise DataError("there are no rows to explain; give at least one row")
    rng = np.random.default_rng(random_state)
    data = X.iloc[_sample(X, max_rows, rng)]
    if isinstance(background, pd.DataFrame):
        if any(c not in background.columns for c in columns) or len(background) == 0:
            raise DataError("the background rows must be a non-empty table with the model's columns")
        bg_frame = background.iloc[_sample(background, 1000, rng)]
    else:
        bg_frame = X.iloc[_sample(X, max(1, int(background)), rng)]
    n_x, n_bg = len(data), len(bg_frame)
    frame = pd.concat([data[columns], bg_frame[columns]], ignore_index=True)
    label = _choose_class(estimator, classes, class_index, data)
    if progress is not None:
        progress(0.0, f"explaining {n_x} rows")

    front, middle, final = _split(estimator) if not isinstance(estimator, EnsembleModel) else ([], [], None)
    name = _name(final.estimator_ if isinstance(final, EncodedLabelClassifier) else final)
    traits = explain_traits().get(name, ExplainTraits())  # the catalogue says how each family is explained
    exact = bool(front) and ((traits.kind == "tree" and not middle) or (
        traits.kind == "linear" and all(isinstance(s, PCA) for _, s in middle)))
    groups, limited, by_class = None, False, {}
    if exact:
        groups, Z = feature_groups(front, frame, columns, random_state)
    if groups is not None:
        if traits.float32:
            Z = Z.astype(np.float32).astype(float)
        Z_x, Z_bg = Z[:n_x], Z[n_x:]
        if traits.kind == "tree":
            kind_of_explainer, n_bg = "tree", 0
            if deadline is not None and n_x > budget.MIN_EXPLAINED_ROWS:
                k = min(n_x, budget.TREE_PROBE_ROWS)
                per_row = budget.timed(lambda: _tree(final, task, label, Z_x[:k])) / k
                n_keep = budget.plan_rows(n_x, per_row, deadline)
                if n_keep < n_x:
                    keep = _sample(data, n_keep, rng)
                    data, Z_x, limited = data.iloc[keep], Z_x[keep], True
            # a multiclass model's every class comes out of the same pass: all are kept
            labels = list(classes) if classes is not None and len(classes) > 2 else [label]
            by_class = _tree_classes(final, task, labels, Z_x)
            values, base, output, kind = by_class[label]
        else:
            kind_of_explainer = "linear"
            values, base, output, kind = _linear(final, middle, task, label, Z_bg, Z_x)
        membership = np.zeros((len(groups), len(columns)))
        membership[np.flatnonzero(groups >= 0), groups[groups >= 0]] = 1.0
        column_values = values @ membership
        if progress is not None:
            progress(1.0, f"explained {len(data)} rows")
    else:
        kind_of_explainer = "permutation"
        prepared = _prepare_members(estimator, task, label, frame, columns, random_state)
        with _Permutation(prepared, frame, columns, random_state) as permutation:
            measure = None
            if deadline is not None:
                if progress is not None:
                    progress(0.0, "timing the model on a few rows")
                measure = permutation.seconds_per_row(np.arange(min(n_x, budget.PROBE_ROWS)), n_x + np.arange(n_bg))
            sizes, limited = budget.plan_permutation(n_x, n_bg, len(columns), measure, deadline)
            background_rows = n_x + _sample(bg_frame, sizes.background, rng)
            rows = _sample(data, sizes.rows, rng) if sizes.rows < n_x else np.arange(n_x)
            if deadline is not None:  # in a random order, so that stopping early keeps a random subset
                rows = rng.permutation(rows)
            column_values, base, done = permutation.run(rows, background_rows, sizes.permutations, progress,
                                                        deadline, min(n_x, budget.MIN_EXPLAINED_ROWS))
        order = np.argsort(rows[:done])
        rows, column_values = rows[:done][order], column_values[order]
        limited = limited or done < n_x
        data = data.iloc[rows]
        output = _output_fn(estimator, task, label)(data[columns])
        kind = "value" if task == Task.REGRESSION else "probability"
        n_bg = len(background_rows)
    def explanation_of(label, values, base, output, kind) -> Explanation:
        return Explanation(
            values=pd.DataFrame(values, index=data.index, columns=columns), base_value=float(base),
            output=np.asarray(output, dtype=float), data=data[columns], class_label=label, output_kind=kind,
            explainer=kind_of_explainer, n_background=n_bg, classes=[] if classes is None else list(classes),
            n_requested=n_x, time_limited=limited)

    explanation = explanation_of(label, column_values, base, output, kind)
    if len(by_class) > 1:
        explanation.other_classes = {
            _position(classes, other): explanation_of(other, v @ membership, b, o, k)
            for other, (v, b, o, k) in by_class.items() if other != label}
    error = explanation.additivity_error()
    if error > ADDITIVITY_TOLERANCE[kind_of_explainer]:
        logger.warning("SHAP values add up to the output only within %.2g (tolerance %.0g)", error,
                       ADDITIVITY_TOLERANCE[kind_of_explainer])
    logger.info("explained %d of %d rows with the %s explainer (%s of %s)%s", len(data), n_x, kind_of_explainer,
                kind, label, "; sizes cut by the time budget" if limited else "")
    return explanation
