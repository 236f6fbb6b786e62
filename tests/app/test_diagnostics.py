"""Holdout diagnostics report the search's metric, for the best pipeline and for the ensemble in use."""
import pandas as pd
import pytest

from automl_app.diagnostics import holdout_diagnostics
from automl_engine import AutoML
from automl_engine.data.samples import sample_datasets
from automl_engine.evaluation.metrics import get_metric


@pytest.mark.slow
def test_an_ensembles_holdout_score_is_the_ensemble_refitted_on_the_same_rows():
    path, target = sample_datasets()["wine"]
    frame = pd.read_csv(path)
    automl = AutoML(max_evals=6, strategy="random", n_folds=3, random_state=1, learn=False, n_jobs=1).fit(
        frame.drop(columns=[target]), frame[target])
    assert automl.ensemble_, "this seed's search ends with an ensemble"
    steps = []
    d = holdout_diagnostics(automl, frame, target, random_state=0, progress=lambda f, m: steps.append((f, m)))
    assert d["metric"] == "balanced_accuracy" and d["n_test"] == 36
    assert 0 <= d["metric_score"] <= 1 and 0 <= d["model_metric_score"] <= 1
    assert any("refitting the ensemble's 2 pipelines" in m or "refitting the ensemble's" in m for _, m in steps)
    assert [f for f, _ in steps] == sorted(f for f, _ in steps)          # progress only moves forward
    # the reported score is the metric of the predictions the diagnostics show (accuracy is their share right)
    right = d["confusion"].query("actual == predicted")["count"].sum()
    assert d["accuracy"] == pytest.approx(right / 36)
    assert get_metric("balanced_accuracy", "multiclass").name == d["metric"]
