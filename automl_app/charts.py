"""Altair charts of a search and of a model's holdout diagnostics (no streamlit here).

Every chart takes plain frames built by :mod:`automl_app.views` or
:mod:`automl_app.diagnostics`; user text (class labels, descriptions) only ever appears as
Vega text, which is drawn as text, never as HTML.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

HEIGHT = 320


def convergence_chart(frame: pd.DataFrame, metric: str = "score") -> alt.LayerChart:
    """Each evaluation's score (dots) and the best so far (step line) per iteration, with the
    recommender's predicted score ± one std before the evaluation (grey error bars).

    ``frame``: iteration, score, best, predicted, lo, hi, description, source, status.
    """
    tooltip = [alt.Tooltip("iteration:Q"), alt.Tooltip("description:N", title="pipeline"),
               alt.Tooltip("score:Q", format=".4f"), alt.Tooltip("predicted:Q", format=".4f", title="predicted"),
               alt.Tooltip("std:Q", format=".4f", title="predicted std"), alt.Tooltip("source:N")]
    predicted = frame.dropna(subset=["predicted"])
    layers = []
    if len(predicted):
        pred_base = alt.Chart(predicted).encode(x="iteration:Q")
        layers += [
            pred_base.mark_errorbar(color="#9e9e9e", ticks=True).encode(
                y=alt.Y("lo:Q", title=metric, scale=alt.Scale(zero=False)), y2="hi:Q"),
            pred_base.mark_point(shape="diamond", color="#9e9e9e", size=40).encode(
                y="predicted:Q", tooltip=tooltip),
        ]
    scored = frame.dropna(subset=["score"])
    layers += [
        alt.Chart(scored).mark_line(interpolate="step-after", color="#d62728").encode(
            x=alt.X("iteration:Q", title="evaluation", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("best:Q", title=metric, scale=alt.Scale(zero=False))),
        alt.Chart(scored).mark_circle(size=70, opacity=0.9).encode(
            x="iteration:Q", y=alt.Y("score:Q", title=metric, scale=alt.Scale(zero=False)),
            color=alt.Color("source:N", title="picked by", legend=alt.Legend(orient="bottom")),
            tooltip=tooltip),
    ]
    return alt.layer(*layers).properties(height=HEIGHT, title="Score per evaluation and best so far")


def latent_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Every catalogue pipeline at its 2-D latent position, coloured by the posterior mean, more
    opaque where the recommender is surer; evaluated pipelines ringed and numbered in order.

    ``frame``: x, y, description, family, mean, std, order (NaN if not evaluated), score.
    """
    has_mean = frame["mean"].notna().any()
    color = (alt.Color("mean:Q", title="predicted", scale=alt.Scale(scheme="viridis")) if has_mean
             else alt.Color("family:N", title="family"))
    std = frame["std"].to_numpy(dtype=float)
    finite = std[np.isfinite(std)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    shown = frame.assign(certainty=np.where(np.isfinite(std), 1.0 - std / top, 0.5) * 0.75 + 0.2)
    tooltip = [alt.Tooltip("description:N", title="pipeline"), alt.Tooltip("family:N"),
               alt.Tooltip("mean:Q", format=".4f", title="predicted"), alt.Tooltip("std:Q", format=".4f"),
               alt.Tooltip("score:Q", format=".4f", title="actual"), alt.Tooltip("order:Q", title="evaluated #")]
    points = alt.Chart(shown).mark_circle(size=28).encode(
        x=alt.X("x:Q", title="latent 1", axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("y:Q", title="latent 2", axis=alt.Axis(labels=False, ticks=False)),
        color=color, opacity=alt.Opacity("certainty:Q", legend=None, scale=None), tooltip=tooltip)
    evaluated = shown.dropna(subset=["order"])
    rings = alt.Chart(evaluated).mark_point(size=140, color="#000000", strokeWidth=1.5, filled=False).encode(
        x="x:Q", y="y:Q", tooltip=tooltip)
    labels = alt.Chart(evaluated).mark_text(dy=-11, fontSize=11, fontWeight="bold", color="#000000").encode(
        x="x:Q", y="y:Q", text=alt.Text("order:Q", format="d"))
    return alt.layer(points, rings, labels).properties(height=HEIGHT + 80,
                                                       title="Pipelines in the recommender's latent space")


def confusion_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """``frame``: actual, predicted, count, share (of the actual class)."""
    order = list(dict.fromkeys(frame["actual"].tolist()))
    heat = alt.Chart(frame).mark_rect().encode(
        x=alt.X("predicted:N", sort=order, title="predicted", axis=alt.Axis(labelLimit=120)),
        y=alt.Y("actual:N", sort=order, title="actual", axis=alt.Axis(labelLimit=120)),
        color=alt.Color("share:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), title="share of row"),
        tooltip=["actual:N", "predicted:N", "count:Q", alt.Tooltip("share:Q", format=".1%")])
    text = alt.Chart(frame).mark_text(fontSize=13).encode(
        x=alt.X("predicted:N", sort=order), y=alt.Y("actual:N", sort=order), text="count:Q",
        color=alt.condition("datum.share > 0.5", alt.value("white"), alt.value("black")))
    return alt.layer(heat, text).properties(height=HEIGHT, title="Confusion matrix (holdout)")


def roc_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """``frame``: curve (class, with its AUC), fpr, tpr."""
    diagonal = alt.Chart(pd.DataFrame({"fpr": [0, 1], "tpr": [0, 1]})).mark_line(
        strokeDash=[4, 4], color="#9e9e9e").encode(x="fpr:Q", y="tpr:Q")
    curves = alt.Chart(frame).mark_line(interpolate="step-after").encode(
        x=alt.X("fpr:Q", title="false positive rate"), y=alt.Y("tpr:Q", title="true positive rate"),
        color=alt.Color("curve:N", title=None,
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=300)))
    return alt.layer(diagonal, curves).properties(height=HEIGHT, title="ROC curve (holdout)")


def predicted_actual_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """``frame``: actual, predicted, residual."""
    lo = float(min(frame["actual"].min(), frame["predicted"].min()))
    hi = float(max(frame["actual"].max(), frame["predicted"].max()))
    ideal = alt.Chart(pd.DataFrame({"actual": [lo, hi], "predicted": [lo, hi]})).mark_line(
        strokeDash=[4, 4], color="#9e9e9e").encode(x="actual:Q", y="predicted:Q")
    points = alt.Chart(frame).mark_circle(size=30, opacity=0.6).encode(
        x=alt.X("actual:Q", scale=alt.Scale(zero=False)), y=alt.Y("predicted:Q", scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("actual:Q", format=".4g"), alt.Tooltip("predicted:Q", format=".4g")])
    return alt.layer(ideal, points).properties(height=HEIGHT, title="Predicted vs actual (holdout)")


def residuals_chart(frame: pd.DataFrame) -> alt.LayerChart:
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(strokeDash=[4, 4], color="#9e9e9e").encode(y="y:Q")
    points = alt.Chart(frame).mark_circle(size=30, opacity=0.6).encode(
        x=alt.X("predicted:Q", scale=alt.Scale(zero=False)), y=alt.Y("residual:Q", title="actual − predicted"),
        tooltip=[alt.Tooltip("predicted:Q", format=".4g"), alt.Tooltip("residual:Q", format=".4g")])
    return alt.layer(zero, points).properties(height=HEIGHT, title="Residuals (holdout)")
