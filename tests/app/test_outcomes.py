"""Honest outcomes (automl_app.outcomes): alerts, the missing ensemble, the leaderboard as shown."""
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from automl_app import outcomes
from automl_engine.search.leaderboard import make_leaderboard


def record(i, status="ok", score=0.8, folds=3, predicted=None, **extra):
    return {"iteration": i, "pipeline_id": f"p{i}", "description": f"pipe {i}", "family": "lr", "status": status,
            "score": score if status == "ok" else math.nan, "score_std": 0.0 if folds == 1 else 0.01,
            "fold_scores": [score] * folds, "predicted_score": predicted, "predicted_std": 0.1, "fit_time": 1.0,
            "wall_time": 1.0, "source": "random", **extra}


def test_a_near_chance_score_is_an_alert_and_a_good_one_is_not():
    assert outcomes.near_chance(0.023, "balanced_accuracy", n_classes=1290)       # the run
    assert outcomes.near_chance(0.51, "roc_auc") and not outcomes.near_chance(0.60, "roc_auc")
    assert outcomes.near_chance(0.01, "r2") and not outcomes.near_chance(0.3, "r2")
    assert outcomes.near_chance(0.90, "accuracy", 2, class_shares=[0.9, 0.1])     # the majority class
    assert not outcomes.near_chance(0.97, "accuracy", 2, class_shares=[0.9, 0.1])
    assert outcomes.near_chance(-3.2, "rmse") is None                              # no chance level known


def test_many_classes_and_rows_removed():
    assert "1,290 classes for 3,000 rows" in outcomes.many_classes(1290, 3000)
    assert outcomes.many_classes(3, 178) is None and outcomes.many_classes(2, 10) is None
    assert outcomes.many_classes(30, 100)                                          # 3 rows per class
    assert "removed 2,534 of the 3,000 rows" in outcomes.rows_removed(3000, 466)
    assert outcomes.rows_removed(3000, 2000) is None
    assert outcomes.rows_removed(1_000_000, 100_000, sampled=True) is None        # a deliberate sample


def test_search_alerts_of_a_fitted_search():
    board = make_leaderboard([record(1, score=0.3), record(2, score=0.34)])
    report = SimpleNamespace(n_rows_original=3000, n_rows_used=466, get=lambda name: None)
    automl = SimpleNamespace(task_="multiclass", classes_=np.arange(3), metric_="balanced_accuracy",
                             leaderboard_=board, data_report_=report)
    alerts = outcomes.search_alerts(automl)
    assert len(alerts) == 2 and "removed 2,534" in alerts[0] and "best balanced_accuracy is 0.3400" in alerts[1]
    automl.leaderboard_ = make_leaderboard([record(1, score=0.9)])
    automl.data_report_ = SimpleNamespace(n_rows_original=178, n_rows_used=178, get=lambda name: None)
    assert outcomes.search_alerts(automl) == []


def test_why_the_ensemble_is_missing():
    fitted = SimpleNamespace(leaderboard_=None, ensemble_=None, history_=[record(1)], search_stats_={})
    assert "fewer than two pipelines finished" in outcomes.ensemble_missing(fitted, {"ensemble": True})
    assert outcomes.ensemble_missing(fitted, {"ensemble": False}) is None
    assert outcomes.ensemble_missing(fitted, {"final_model": "refit"}) is None           # none was asked for
    assert outcomes.ensemble_missing(fitted, {"final_model": "bagging"}) is None
    assert "fewer than two" in outcomes.ensemble_missing(fitted, {"final_model": "stacking"})
    fitted.history_ = [record(1), record(2), record(3)]
    assert "scored higher than the best pipeline alone" in outcomes.ensemble_missing(fitted, {})
    fitted.search_stats_ = {"ensemble_candidates_skipped": 2}
    assert "time left" in outcomes.ensemble_missing(fitted, {})
    fitted.ensemble_ = {"score": 0.9, "members": []}
    assert outcomes.ensemble_missing(fitted, {}) is None


def test_the_board_says_timed_out_blanks_a_single_holdout_std_and_clips_predictions():
    records = [record(1, score=0.7, folds=1, predicted=1.09), record(2, status="timeout"),
               record(3, score=0.6, folds=3, predicted=0.5)]
    board = pd.DataFrame(records).drop(columns=["fold_scores"])
    shown = outcomes.board_display(board, records, "r2").set_index("iteration")
    assert pd.isna(shown.loc[2, "score"]) and shown.loc[2, "status"] == "timed out"
    assert pd.isna(shown.loc[2, "± std"]) and pd.isna(shown.loc[2, "fit s"])
    assert pd.isna(shown.loc[1, "± std"]) and shown.loc[3, "± std"] == pytest.approx(0.01)   # one holdout: no spread
    assert shown.loc[1, "predicted"] == 1.0                                        # a predicted R² stays <= 1
    for column in ("score", "± std", "predicted", "pred. std", "fit s"):           # numbers sort as numbers
        assert pd.api.types.is_float_dtype(shown[column]), column
    assert shown["score"].sort_values(ascending=False).index[:2].tolist() == [1, 3]
    assert "rows" not in shown.columns


def test_the_board_shows_the_rows_a_score_was_measured_on_when_there_are_any():
    records = [record(2, score=0.9, rows=12000, rung=1), record(1, score=0.8, rows=1200, rung=0)]
    board = pd.DataFrame(records).drop(columns=["fold_scores"])      # the same pipeline on two rungs
    shown = outcomes.board_display(board, records, "accuracy")
    assert list(shown["rows"]) == [12000, 1200] and list(shown["iteration"]) == [2, 1]
    board["rows"] = None                                             # a search without rungs: no column
    assert "rows" not in outcomes.board_display(board, records, "accuracy").columns


@pytest.mark.parametrize("metric,value,expected", [("r2", 1.3, 1.0), ("accuracy", -0.1, 0.0),
                                                   ("rmse", 0.4, 0.0), ("log_loss", -2.0, -2.0)])
def test_clip_to_metric(metric, value, expected):
    assert outcomes.clip_to_metric(value, metric) == expected


def test_convergence_predictions_are_clipped():
    from automl_app.views import convergence_frame

    frame = convergence_frame([record(1, score=0.9, predicted=0.98)], "r2")
    assert frame["hi"].iloc[0] == 1.0 and frame["predicted"].iloc[0] == pytest.approx(0.98)
    assert pd.isna(convergence_frame([record(1, status="timeout")], "r2")["score"].iloc[0])
