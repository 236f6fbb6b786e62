"""Final-model strategies (automl_engine.search.final) built from one real search: what each builds,
when an ensemble or a stack is kept, and the fallbacks when there are no folds or no time."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from automl_engine import AutoML
from automl_engine.model.skops_io import load_model, save_model
from automl_engine.search import Search
from automl_engine.search.ensemble import EnsembleModel, StackedModel
from automl_engine.search.final import FINAL_MODELS, FinalInputs, build_final
from automl_engine.search.finish_time import best_records


def _searched(X, y, monkeypatch_cls):
    """A fitted AutoML whose search kept its data and out-of-fold predictions."""
    monkeypatch_cls.setattr(Search, "release_data", lambda self: None)
    model = AutoML(max_evals=5, strategy="random", random_state=0, learn=False, n_folds=3, n_jobs=1,
                   final_model="refit").fit(X, y)
    monkeypatch_cls.undo()
    return model


def _inputs(model, **changes) -> FinalInputs:
    from automl_engine.evaluation import get_metric

    search = model._search
    inputs = FinalInputs(search.problem.X, search.problem.y, model.task_, search.problem.classes, search.problem.folds,
                         get_metric(model.metric_, model.task_), model.catalogue_, model.column_types_,
                         best_records(model.history_), search.oof, search.validation_rows, 0)
    return dataclasses.replace(inputs, **changes)


def _unbeatable(inputs: FinalInputs, score: float) -> FinalInputs:
    """The same inputs with the winner's recorded score set to ``score`` (to force keeping or refusing one)."""
    ranked = [dict(inputs.ranked[0], score=score), *inputs.ranked[1:]]
    return dataclasses.replace(inputs, ranked=ranked)


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(360, 8, n_informative=5, n_classes=3, random_state=1)
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    y = np.array(["low", "mid", "high"])[y]
    with pytest.MonkeyPatch.context() as patch:
        return _searched(X, y, patch), X


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(300, 6, noise=5.0, random_state=2)
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    with pytest.MonkeyPatch.context() as patch:
        return _searched(X, y, patch), X


def test_bagging_averages_the_winners_fold_models(classification):
    model, X = classification
    inputs = _inputs(model)
    phases = []
    final = build_final("bagging", dataclasses.replace(inputs, on_phase=phases.append))
    assert final.strategy == "bagging" and final.best_record is inputs.ranked[0] and phases == ["refitting"]
    bag = final.model
    assert isinstance(bag, EnsembleModel) and len(bag.estimators) == len(inputs.folds) == 3
    assert final.best_pipeline is bag.estimators[0]
    probas = [np.asarray(e.predict_proba(X)) for e in bag.estimators]
    assert not np.allclose(probas[0], probas[1])              # each fold model saw other rows
    assert np.allclose(bag.predict_proba(X), np.mean(probas, axis=0))


def test_bagging_falls_back_to_a_refit_without_folds_or_time(classification):
    model, _ = classification
    no_time = build_final("bagging", _inputs(model, seconds_left=lambda: 0.0))
    assert no_time.strategy == "refit" and "no time left" in no_time.notes[0]
    holdout = _inputs(model)
    holdout = dataclasses.replace(holdout, folds=holdout.folds[:1])
    one_fold = build_final("bagging", holdout)
    assert one_fold.strategy == "refit" and "holdout" in one_fold.notes[0]
    assert not isinstance(one_fold.model, EnsembleModel)
    no_time_for_members = build_final("ensemble", _unbeatable(_inputs(model, seconds_left=lambda: 0.0), -1.0))
    assert no_time_for_members.strategy == "refit"                # only the refitted winner is left
    assert no_time_for_members.candidates_skipped == len(_inputs(model).ranked[:10]) - 1 > 0


@pytest.mark.parametrize("strategy", ["ensemble", "bagged-ensemble", "stacking"])
def test_a_combination_is_kept_only_when_it_beats_the_winner(classification, strategy):
    model, _ = classification
    inputs = _inputs(model)
    kept_out = build_final(strategy, _unbeatable(inputs, 1.01))   # no combination scores above 1.01
    assert kept_out.strategy == "refit" and kept_out.ensemble_row is None
    phases = []
    kept = build_final(strategy, dataclasses.replace(_unbeatable(inputs, -1.0), on_phase=phases.append))
    assert kept.strategy == strategy and kept.ensemble_row["score"] > -1.0
    assert phases == ["refitting", "ensembling"]                  # the winner first, then the combination
    assert len(kept.ensemble_row["members"]) >= 2


def test_a_bagged_ensembles_members_are_fold_models(classification):
    model, X = classification
    final = build_final("bagged-ensemble", _unbeatable(_inputs(model), -1.0))
    assert all(isinstance(m, EnsembleModel) and len(m.estimators) == 3 for m in final.model.estimators)
    assert np.allclose(final.model.predict_proba(X).sum(axis=1), 1.0)


def test_a_stack_predicts_probabilities_and_survives_a_round_trip(classification, tmp_path):
    model, X = classification
    final = build_final("stacking", _unbeatable(_inputs(model), -1.0))
    stack = final.model
    assert isinstance(stack, StackedModel)
    proba = stack.predict_proba(X)
    assert proba.shape == (len(X), 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert set(stack.predict(X)) <= {"low", "mid", "high"}
    loaded = load_model(save_model(stack, tmp_path / "stack.skops"))
    assert np.allclose(loaded.predict_proba(X), proba)


def test_a_regression_stack_weighs_members_without_negative_weights(regression):
    model, X = regression
    final = build_final("stacking", _unbeatable(_inputs(model), -10.0))
    assert final.strategy == "stacking"
    assert (final.model.combiner.coef_ >= 0).all()
    predicted = final.model.predict(X)
    assert predicted.shape == (len(X),) and np.isfinite(predicted).all()


def test_every_strategy_builds_a_model_that_predicts(regression):
    model, X = regression
    for strategy in FINAL_MODELS:
        final = build_final(strategy, _inputs(model))
        assert np.isfinite(final.model.predict(X)).all(), strategy


def test_an_unknown_final_model_is_refused_before_the_search():
    X, y = make_classification(60, 4, random_state=0)
    with pytest.raises(ValueError, match="final_model must be 'auto' or one of refit, bagging"):
        AutoML(max_evals=2, final_model="boosting", learn=False).fit(X, y)


def test_automl_builds_the_chosen_final_model_and_says_so():
    X, y = make_classification(200, 5, random_state=0)
    model = AutoML(max_evals=3, strategy="random", random_state=0, learn=False, n_folds=3, n_jobs=1,
                   final_model="bagging").fit(X, y)
    assert model.final_model_ == "bagging" == model.search_stats_["final_model"]
    assert isinstance(model.model_, EnsembleModel) and len(model.model_.estimators) == 3
    refit = AutoML(max_evals=3, strategy="random", random_state=0, learn=False, n_folds=3, n_jobs=1,
                   ensemble=False).fit(X, y)
    assert refit.final_model_ == "refit" and not isinstance(refit.model_, EnsembleModel)
