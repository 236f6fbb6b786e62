"""The final model of a search, from its ranked evaluations and out-of-fold predictions.

Strategies (``AutoML(final_model=...)``):

- ``refit``: the cross-validation winner refitted on every row.
- ``bagging``: the winner's fold models (one per cross-validation fold, each on that fold's training
  rows) averaged; nothing is refitted and the winner's cross-validated score describes this model.
- ``ensemble``: ensemble selection (Caruana et al., 2004) over the top pipelines' out-of-fold
  predictions; the members refitted on every row.
- ``bagged-ensemble``: the same weights, each member its fold models (AutoGluon's bag-then-ensemble):
  the out-of-fold predictions the weights were chosen on are exactly those models' predictions.
- ``stacking``: a regularised linear model (logistic regression on log-probabilities, or non-negative
  least squares) on the top pipelines' out-of-fold predictions, the members refitted on every row.

An ensemble or a stack is kept only when its score on the out-of-fold rows beats the winner's (the
stack's is cross-validated over those rows). With a time budget, what does not fit in the time left
falls back to a cheaper strategy (fold models to a refit, members to fewer members).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

from automl_engine.catalogue import build_pipeline
from automl_engine.errors import DataError
from automl_engine.evaluation.metrics import Metric
from automl_engine.search.ensemble import (
    EnsembleModel,
    StackedModel,
    ensemble_selection,
    in_class_order,
    stack_features,
)
from automl_engine.search.events import ENSEMBLING, REFITTING
from automl_engine.search.finish_time import affordable_members, refit_seconds
from automl_engine.task import Task

logger = logging.getLogger(__name__)

FINAL_MODELS = ("refit", "bagging", "ensemble", "bagged-ensemble", "stacking")
ENSEMBLE_CANDIDATES = 10  # top pipelines an ensemble or a stack chooses from
STACK_FOLDS = 5


@dataclass
class FinalInputs:
    """What the finish needs from a search: the data, its folds, the ranked successful records (best
    first, on the highest rung reached) and their out-of-fold predictions (``oof[(index, rung)]``)."""

    X: pd.DataFrame
    y: np.ndarray
    task: str
    classes: np.ndarray | None
    folds: list
    metric: Metric
    catalogue: object
    column_types: dict
    ranked: list[dict]
    oof: dict
    validation_rows: Callable[[int], np.ndarray]
    random_state: int | None = None
    seconds_left: Callable[[], float | None] = lambda: None
    exponents: dict = field(default_factory=dict)
    on_phase: Callable[[str], None] = lambda phase: None  # told REFITTING, then ENSEMBLING for a combination


@dataclass
class FinalModel:
    """The model to serve, the winner (a Pipeline fitted on every row or on a fold), and the ensemble
    row of the leaderboard (None for a single pipeline)."""

    model: object
    best_pipeline: object
    best_record: dict
    ensemble_row: dict | None
    strategy: str
    notes: list[str] = field(default_factory=list)
    candidates_skipped: int = 0  # top pipelines left out of a combination: their fits did not fit in the time left


def build_final(strategy: str, inputs: FinalInputs) -> FinalModel:
    """The final model by ``strategy`` (one of FINAL_MODELS)."""
    if strategy not in FINAL_MODELS:
        raise ValueError(f"final_model must be one of {', '.join(FINAL_MODELS)}; got {strategy!r}")
    inputs.on_phase(REFITTING)
    if strategy == "bagging":
        return _bagging(inputs)
    final = _refit(inputs)
    if strategy != "refit":
        inputs.on_phase(ENSEMBLING)
    if strategy in ("ensemble", "bagged-ensemble"):
        return _ensemble(inputs, final, bagged=strategy == "bagged-ensemble")
    if strategy == "stacking":
        return _stacking(inputs, final)
    return final


def _pipeline(inputs: FinalInputs, record: dict):
    return build_pipeline(inputs.catalogue[record["pipeline_index"]], inputs.column_types, inputs.random_state)


def _refit(inputs: FinalInputs) -> FinalModel:
    """The best pipeline that refits on every row."""
    for record in inputs.ranked:
        try:
            fitted = _pipeline(inputs, record).fit(inputs.X, inputs.y)
        except Exception as exc:  # noqa: BLE001 - fall back to the next best
            logger.warning("refit of %s failed: %s", record["description"], exc)
            continue
        return FinalModel(fitted, fitted, record, None, "refit")
    raise DataError("no pipeline could be refitted on all the data; try a larger budget")


def _bag_seconds(record: dict, inputs: FinalInputs) -> float:
    train_rows = [len(train) for train, _ in inputs.folds]
    return sum(refit_seconds(record, rows, inputs.folds, inputs.exponents) for rows in train_rows)


def _fold_models(inputs: FinalInputs, record: dict) -> EnsembleModel:
    """``record``'s pipeline fitted on each fold's training rows, averaged with equal weights."""
    template = _pipeline(inputs, record)
    fitted = [clone(template).fit(inputs.X.iloc[train], inputs.y[train]) for train, _ in inputs.folds]
    return EnsembleModel(fitted, [1.0] * len(fitted), inputs.task, inputs.classes).fit(inputs.X, inputs.y)


def _has_folds(inputs: FinalInputs) -> bool:
    """Whether the search cross-validated on k >= 2 folds (a single holdout has nothing to bag)."""
    return len(inputs.folds) >= 2


def _bagging(inputs: FinalInputs) -> FinalModel:
    """The winner's fold models averaged; a refit when there are no folds to bag or no time for them."""
    if not inputs.ranked:
        raise DataError("no pipeline could be refitted on all the data; try a larger budget")
    best = inputs.ranked[0]
    left = inputs.seconds_left()
    if not _has_folds(inputs):
        final = _refit(inputs)
        final.notes.append("bagging needs k-fold cross-validation (this search used one holdout): refitted")
        return final
    if left is not None and _bag_seconds(best, inputs) > left:
        final = _refit(inputs)
        final.notes.append("no time left for the winner's fold models: refitted")
        return final
    try:
        bag = _fold_models(inputs, best)
    except Exception as exc:  # noqa: BLE001 - a refit is the fallback
        logger.warning("fold models of %s failed: %s", best["description"], exc)
        return _refit(inputs)
    return FinalModel(bag, bag.estimators[0], best, None, "bagging")


def _candidates(inputs: FinalInputs, final: FinalModel, bagged: bool) -> tuple[list[dict], int]:
    """The top records with out-of-fold predictions on the winner's rung, whose fits fit in the time left
    (``final.candidates_skipped`` counts the others)."""
    level = final.best_record.get("rung", 0)
    candidates = [h for h in inputs.ranked if (h["pipeline_index"], level) in inputs.oof][:ENSEMBLE_CANDIDATES]
    offered = len(candidates)
    left = inputs.seconds_left()
    if left is not None:  # a bagged member, the winner too, still needs its fold models
        candidates = affordable_members(candidates, len(inputs.X), inputs.folds, left,
                                        fitted=[] if bagged else [final.best_record], exponents=inputs.exponents,
                                        cost=(lambda record: _bag_seconds(record, inputs)) if bagged else None)
    final.candidates_skipped = offered - len(candidates)
    return candidates, level


def _member_models(inputs: FinalInputs, final: FinalModel, records: list[dict], bagged: bool) -> list:
    if bagged:
        return [_fold_models(inputs, h) for h in records]
    return [final.best_pipeline if h is final.best_record else _pipeline(inputs, h).fit(inputs.X, inputs.y)
            for h in records]


def _ensemble(inputs: FinalInputs, final: FinalModel, bagged: bool) -> FinalModel:
    """Ensemble selection over the candidates' out-of-fold predictions, kept when it beats the winner."""
    if bagged and not _has_folds(inputs):
        final.notes.append("a bagged ensemble needs k-fold cross-validation: members refitted instead")
        bagged = False
    candidates, level = _candidates(inputs, final, bagged)
    if len(candidates) < 2:
        return final
    oof = [inputs.oof[(h["pipeline_index"], level)] for h in candidates]
    y_validation = inputs.y[inputs.validation_rows(level)]
    weights, score = ensemble_selection(oof, y_validation, inputs.metric, inputs.task, inputs.classes)
    members = [(w, h) for w, h in zip(weights, candidates) if w > 0]
    if len(members) < 2 or score <= final.best_record["score"] + 1e-9:
        return final
    models = _member_models(inputs, final, [h for _, h in members], bagged)
    model = EnsembleModel(models, [w for w, _ in members], inputs.task, inputs.classes).fit(inputs.X, inputs.y)
    row = {"score": score, "members": [(float(w), h["description"]) for w, h in members], "rung": level,
           "rows": final.best_record.get("rows"), "kind": "bagged ensemble" if bagged else "ensemble"}
    return FinalModel(model, final.best_pipeline, final.best_record, row, "bagged-ensemble" if bagged else "ensemble",
                      final.notes, final.candidates_skipped)


def _combiner(task: str, random_state):
    if task == Task.REGRESSION:
        return LinearRegression(positive=True)
    return LogisticRegression(C=1.0, max_iter=1000, random_state=random_state)


def _stack_score(inputs: FinalInputs, features: np.ndarray, y: np.ndarray) -> float:
    """The combiner's score on the out-of-fold rows, itself cross-validated over them."""
    if inputs.task == Task.REGRESSION:
        splitter = KFold(STACK_FOLDS, shuffle=True, random_state=0)
        predicted = cross_val_predict(_combiner(inputs.task, 0), features, y, cv=splitter)
        return inputs.metric.score(y, predicted)
    _, counts = np.unique(y, return_counts=True)
    n_splits = int(min(STACK_FOLDS, counts.min()))
    if n_splits < 2:
        return -np.inf
    splitter = StratifiedKFold(n_splits, shuffle=True, random_state=0)
    proba = cross_val_predict(_combiner(inputs.task, 0), features, y, cv=splitter, method="predict_proba")
    full = in_class_order(proba, np.unique(y), inputs.classes)
    labels = np.asarray(inputs.classes)[np.argmax(full, axis=1)]
    return inputs.metric.score(y, labels, full, inputs.classes)


def _stacking(inputs: FinalInputs, final: FinalModel) -> FinalModel:
    """A linear combiner on the candidates' out-of-fold predictions, kept when its cross-validated
    score beats the winner's."""
    candidates, level = _candidates(inputs, final, bagged=False)
    if len(candidates) < 2:
        return final
    rows = inputs.validation_rows(level)
    oof = [inputs.oof[(h["pipeline_index"], level)] for h in candidates]
    y_rows = inputs.y[rows]
    finite = np.all([np.isfinite(p).reshape(len(y_rows), -1).all(axis=1) for p in oof], axis=0)
    features = stack_features([p[finite] for p in oof], inputs.task)
    y_rows = y_rows[finite]
    try:
        score = _stack_score(inputs, features, y_rows)
    except Exception as exc:  # noqa: BLE001 - a stack is optional
        logger.warning("stacking could not be scored: %s", exc)
        return final
    if not np.isfinite(score) or score <= final.best_record["score"] + 1e-9:
        return final
    combiner = _combiner(inputs.task, inputs.random_state).fit(features, y_rows)
    models = _member_models(inputs, final, candidates, bagged=False)
    model = StackedModel(models, [1.0] * len(models), inputs.task, inputs.classes, combiner).fit(inputs.X, inputs.y)
    row = {"score": float(score), "members": [(1.0 / len(candidates), h["description"]) for h in candidates],
           "rung": level, "rows": final.best_record.get("rows"), "kind": "stack"}
    return FinalModel(model, final.best_pipeline, final.best_record, row, "stacking", final.notes,
                      final.candidates_skipped)
