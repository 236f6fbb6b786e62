"""Altair charts of an ``automl_engine.explain.Explanation`` (no streamlit here).

Charts show user text (column names, category values) as Vega text, never as Markdown.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from pandas.api import types as ptypes

TOP_COLUMNS = 15
WATERFALL_BARS = 10


def output_label(e) -> str:
    """What the SHAP values add up to, e.g. ``probability of 'yes'`` or ``predicted value``."""
    if e.class_label is None:
        return "predicted value"
    return f"{e.output_kind} of class {e.class_label}"


def importance_frame(e, top: int = TOP_COLUMNS) -> pd.DataFrame:
    """Columns by mean |SHAP value|, largest first (the ``top`` first)."""
    importance = e.importance().head(top)
    return pd.DataFrame({"column": importance.index.astype(str), "mean_abs_shap": importance.to_numpy()})


def importance_chart(e, top: int = TOP_COLUMNS) -> alt.Chart:
    frame = importance_frame(e, top)
    return alt.Chart(frame, title="Global importance: mean |SHAP value|").mark_bar().encode(
        x=alt.X("mean_abs_shap:Q", title=f"mean |SHAP value| ({output_label(e)})"),
        y=alt.Y("column:N", sort="-x", title=None),
        tooltip=["column", alt.Tooltip("mean_abs_shap:Q", format=".4g")],
    ).properties(height=max(120, 22 * len(frame)))


def value_rank(values: pd.Series) -> pd.Series:
    """Feature values as 0..1 for colouring: percentile of numbers and dates, rank of categories; NaN missing."""
    if ptypes.is_bool_dtype(values):
        return values.astype(float)
    if ptypes.is_numeric_dtype(values) or ptypes.is_datetime64_any_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce") if not ptypes.is_datetime64_any_dtype(values) else \
            pd.Series(values.to_numpy().astype("datetime64[ns]").astype("int64"),
                      index=values.index).where(values.notna())
        return numbers.rank(pct=True)
    text = values.astype(str).where(values.notna())
    codes = text.astype("category").cat.codes.astype(float).where(text.notna())
    top = codes.max()
    return codes / top if top and top > 0 else codes * 0.0


def beeswarm_frame(e, top: int = TOP_COLUMNS) -> pd.DataFrame:
    """Long frame: one row per (explained row, column) with SHAP value, value text and colour rank."""
    columns = list(e.importance().head(top).index)
    parts = []
    for column in columns:
        values = e.data[column]
        parts.append(pd.DataFrame({
            "column": str(column), "shap": e.values[column].to_numpy(dtype=float),
            "value": values.astype(str).where(values.notna(), "(missing)").to_numpy(),
            "value_rank": value_rank(values).to_numpy(dtype=float),
        }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["column", "shap", "value", "value_rank"])


def beeswarm_chart(e, top: int = TOP_COLUMNS) -> alt.Chart:
    """SHAP value per row and column, jittered vertically, coloured from low (blue) to high (red) values."""
    frame = beeswarm_frame(e, top)
    order = list(dict.fromkeys(frame["column"]))
    return alt.Chart(frame, title="SHAP value of every explained row, by column").mark_circle(size=18, opacity=0.7)\
        .transform_calculate(jitter="sqrt(-2*log(random()))*cos(2*PI*random())").encode(
            x=alt.X("shap:Q", title=f"SHAP value (effect on the {output_label(e)})"),
            y=alt.Y("column:N", sort=order, title=None),
            yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-4, 4])),
            color=alt.Color("value_rank:Q", scale=alt.Scale(scheme="redblue", reverse=True, domain=[0, 1]),
                            title="feature value (low → high)"),
            tooltip=["column", "value", alt.Tooltip("shap:Q", format=".4g")],
        ).properties(height=max(150, 28 * len(order)))


def dependence_chart(e, column: str) -> alt.Chart:
    """SHAP value of ``column`` against its value, one point per explained row."""
    values = e.data[column]
    frame = pd.DataFrame({"value": values.to_numpy(), "shap": e.values[column].to_numpy(dtype=float)})
    if ptypes.is_datetime64_any_dtype(values):
        x = alt.X("value:T", title=str(column))
    elif ptypes.is_numeric_dtype(values) and not ptypes.is_bool_dtype(values):
        x = alt.X("value:Q", title=str(column))
    else:
        frame["value"] = values.astype(str).where(values.notna(), "(missing)").to_numpy()
        x = alt.X("value:N", title=str(column), sort="-y")
    return alt.Chart(frame, title=f"Dependence: SHAP value of {column} against its value").mark_circle(
        size=30, opacity=0.7).encode(x=x, y=alt.Y("shap:Q", title="SHAP value"),
                                     tooltip=[alt.Tooltip("value", title=str(column)),
                                              alt.Tooltip("shap:Q", format=".4g")]).properties(height=300)


def waterfall_frame(e, row, bars: int = WATERFALL_BARS) -> pd.DataFrame:
    """Steps from the base value to the row's output: the ``bars`` largest contributions, then the rest.

    Columns: ``label``, ``start``, ``end``, ``contribution``, ``kind`` ("base", "up", "down", "output").
    The last step's ``end`` equals the row's output (additivity).
    """
    position = e.values.index.get_loc(row)
    contributions = e.values.iloc[position]
    data = e.data.iloc[position]
    order = contributions.abs().sort_values(ascending=False).index
    shown, rest = list(order[:bars]), list(order[bars:])
    steps = [(f"{c} = {_short(data[c])}", float(contributions[c])) for c in shown]
    if rest:
        steps.append((f"{len(rest)} other columns", float(contributions[rest].sum())))
    rows = [{"label": f"base value {e.base_value:.4g}", "start": 0.0, "end": e.base_value,
             "contribution": e.base_value, "kind": "base"}]
    level = e.base_value
    for label, value in steps:
        rows.append({"label": label, "start": level, "end": level + value, "contribution": value,
                     "kind": "up" if value >= 0 else "down"})
        level += value
    rows.append({"label": f"output {float(e.output[position]):.4g}", "start": 0.0, "end": float(e.output[position]),
                 "contribution": float(e.output[position]), "kind": "output"})
    frame = pd.DataFrame(rows)
    frame["order"] = np.arange(len(frame))
    return frame


def waterfall_chart(e, row, bars: int = WATERFALL_BARS) -> alt.LayerChart:
    """Bars for the contributions, markers for the base value and the row's output."""
    frame = waterfall_frame(e, row, bars)
    ends = frame["kind"].isin(["base", "output"])
    frame.loc[ends, "start"] = frame.loc[ends, "end"]
    colours = alt.Scale(domain=["base", "up", "down", "output"], range=["#888888", "#d62728", "#1f77b4", "#222222"])
    base = alt.Chart(frame, title=f"Row {row}: from the base value to its {output_label(e)}").encode(
        y=alt.Y("label:N", sort=alt.EncodingSortField("order"), title=None),
        color=alt.Color("kind:N", scale=colours, legend=None),
        tooltip=["label", alt.Tooltip("contribution:Q", format="+.4g"), alt.Tooltip("end:Q", format=".4g")],
    )
    x = alt.X("start:Q", title=output_label(e), scale=alt.Scale(zero=False), axis=alt.Axis(format=".3~g"))
    bars_layer = base.transform_filter("datum.kind == 'up' || datum.kind == 'down'").mark_bar().encode(x=x, x2="end:Q")
    marks = base.transform_filter("datum.kind == 'base' || datum.kind == 'output'").mark_point(
        filled=True, size=120, shape="diamond").encode(x=alt.X("end:Q"))
    return alt.layer(bars_layer, marks).properties(height=max(150, 26 * len(frame)))


def _short(value, limit: int = 30) -> str:
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return "(missing)"
    if isinstance(value, (float, np.floating)):
        text = f"{value:.4g}"
    elif isinstance(value, pd.Timestamp) and value == value.normalize():
        text = value.strftime("%Y-%m-%d")
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
