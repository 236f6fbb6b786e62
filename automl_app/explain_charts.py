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
LABEL_CHARS = 40         # longest axis label, in characters (middle ellipsis beyond; full name in the tooltip)
LABEL_LIMIT_PX = 320     # Streamlit's theme truncates labels at 100 px: let a 40-character label show whole
ROW_PX = 22              # height per bar / row of a chart with one row per column
TOP_VALUES = 15          # most frequent values of a text column in its dependence plot; the rest are "other"


def row_height(chart, rows: int, per_row: int = ROW_PX, minimum: int = 120):
    """``chart`` with a plot area of ``per_row`` px per row (at least ``minimum``), its width fitted to the page.

    Streamlit's theme autosizes charts with "fit", which squeezes the title and the axes into the given height:
    nine bars of an importance chart got about 6 px each and their labels overlapped (seen in the browser on a
    20,000-row table). "fit-x" fits the width only, so the height is the plot area's."""
    return chart.properties(height=max(minimum, per_row * rows),
                            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def label_axis(**kwargs) -> alt.Axis:
    """A category axis that shows every label: Streamlit's theme sets ``labelOverlap`` (drops every other
    label when rows are close) and a 100 px ``labelLimit`` (cut names to the same prefix)."""
    return alt.Axis(labelOverlap=False, labelLimit=LABEL_LIMIT_PX, **kwargs)


def middle_ellipsis(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` shortened to ``limit`` characters by cutting its middle: ``capital_run_l…_longest``."""
    if len(text) <= limit:
        return text
    head = limit // 2
    tail = limit - 1 - head
    return text[:head] + "…" + text[len(text) - tail:] if tail else text[:head] + "…"


def unique_labels(names, limit: int = LABEL_CHARS) -> list[str]:
    """One short label per name, distinct for distinct names (a ``#2``, ``#3`` suffix when shortening
    makes two the same), the same label for repeated names."""
    labels: dict[str, str] = {}
    used: set[str] = set()
    for name in map(str, names):
        if name in labels:
            continue
        label = middle_ellipsis(name, limit)
        n = 1
        while label in used:
            n += 1
            suffix = f" #{n}"
            label = middle_ellipsis(name, limit - len(suffix)) + suffix
        labels[name] = label
        used.add(label)
    return [labels[name] for name in map(str, names)]


def output_label(e) -> str:
    """What the SHAP values add up to, e.g. ``probability of 'yes'`` or ``predicted value``."""
    if e.class_label is None:
        return "predicted value"
    return f"{e.output_kind} of class {e.class_label}"


def importance_frame(e, top: int = TOP_COLUMNS) -> pd.DataFrame:
    """Columns by mean |SHAP value|, largest first (the ``top`` first)."""
    importance = e.importance().head(top)
    names = importance.index.astype(str)
    return pd.DataFrame({"column": names, "label": unique_labels(names), "mean_abs_shap": importance.to_numpy()})


def shown_of(e, top: int = TOP_COLUMNS) -> str:
    """`` (the 15 largest of 57 columns)`` when a chart shows only the ``top`` columns, else nothing."""
    n = len(e.importance())
    return f" (the {top} largest of {n} columns)" if n > top else ""


def importance_chart(e, top: int = TOP_COLUMNS) -> alt.Chart:
    frame = importance_frame(e, top)
    chart = alt.Chart(frame, title="Global importance: mean |SHAP value|" + shown_of(e, top)).mark_bar().encode(
        x=alt.X("mean_abs_shap:Q", title=f"mean |SHAP value| ({output_label(e)})"),
        y=alt.Y("label:N", sort=list(frame["label"]), title=None, axis=label_axis()),
        tooltip=["column", alt.Tooltip("mean_abs_shap:Q", format=".4g")],
    )
    return row_height(chart, len(frame))


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
    for column, label in zip(columns, unique_labels(columns)):
        values = e.data[column]
        parts.append(pd.DataFrame({
            "column": str(column), "label": label, "shap": e.values[column].to_numpy(dtype=float),
            "value": values.astype(str).where(values.notna(), "(missing)").to_numpy(),
            "value_rank": value_rank(values).to_numpy(dtype=float),
        }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["column", "label", "shap", "value", "value_rank"])


def beeswarm_chart(e, top: int = TOP_COLUMNS) -> alt.Chart:
    """SHAP value per row and column, jittered vertically, coloured from low (blue) to high (red) values."""
    frame = beeswarm_frame(e, top)
    order = list(dict.fromkeys(frame["label"]))
    title = "SHAP value of every explained row, by column" + shown_of(e, top)
    chart = alt.Chart(frame, title=title).mark_circle(size=18, opacity=0.7)\
        .transform_calculate(jitter="sqrt(-2*log(random()))*cos(2*PI*random())").encode(
            x=alt.X("shap:Q", title=f"SHAP value (effect on the {output_label(e)})"),
            y=alt.Y("label:N", sort=order, title=None, axis=label_axis()),
            yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-4, 4])),
            color=alt.Color("value_rank:Q", scale=alt.Scale(scheme="redblue", reverse=True, domain=[0, 1]),
                            title="feature value (low → high)"),
            tooltip=["column", "value", alt.Tooltip("shap:Q", format=".4g")],
        )
    return row_height(chart, len(order), max(28, ROW_PX), 150)


def dependence_frame(e, column: str, top: int = TOP_VALUES) -> pd.DataFrame:
    """``value`` and ``shap`` per explained row. A text / category column keeps its ``top`` most frequent
    values and groups the rest as ``other (k values)``; ``label`` is the shortened value shown on the axis."""
    values = e.data[column]
    frame = pd.DataFrame({"value": values.to_numpy(), "shap": e.values[column].to_numpy(dtype=float)})
    if _is_category(values):
        text = values.astype(str).where(values.notna(), "(missing)")
        counts = text.value_counts(sort=True)
        kept = list(counts.index[:top])
        rest = counts.index[top:]
        label_of = dict(zip(kept, unique_labels(kept, limit=30)))
        if len(rest):
            label_of.update(dict.fromkeys(rest, f"other ({len(rest)} values)"))
        frame["value"] = text.to_numpy()
        frame["label"] = text.map(label_of).to_numpy()
        frame["other"] = text.isin(rest).to_numpy()
    return frame


def _is_category(values: pd.Series) -> bool:
    return not ptypes.is_datetime64_any_dtype(values) and (
        ptypes.is_bool_dtype(values) or not ptypes.is_numeric_dtype(values))


def dependence_chart(e, column: str, top: int = TOP_VALUES) -> alt.Chart:
    """SHAP value of ``column`` against its value, one point per explained row.

    A text or category column is a strip per value (jittered), its ``top`` most frequent values in order of
    frequency and the rest pooled as one "other" strip: 200 distinct strings on an axis cannot be read, and
    the frequent values carry most rows (a box per value would hide the points of values seen once or twice).
    """
    values = e.data[column]
    frame = dependence_frame(e, column, top)
    tooltip = [alt.Tooltip("value", title=str(column)), alt.Tooltip("shap:Q", format=".4g")]
    title = f"Dependence: SHAP value of {middle_ellipsis(str(column))} against its value"
    if not _is_category(values):
        kind = "T" if ptypes.is_datetime64_any_dtype(values) else "Q"
        return alt.Chart(frame, title=title).mark_circle(size=30, opacity=0.7).encode(
            x=alt.X(f"value:{kind}", title=str(column)), y=alt.Y("shap:Q", title="SHAP value"),
            tooltip=tooltip).properties(height=300)
    order = list(frame.loc[~frame["other"], "label"].value_counts(sort=True).index) + \
        list(dict.fromkeys(frame.loc[frame["other"], "label"]))              # "other" last
    chart = alt.Chart(frame, title=title).mark_circle(size=24, opacity=0.6).transform_calculate(
        jitter="sqrt(-2*log(random()))*cos(2*PI*random())").encode(
        y=alt.Y("label:N", sort=order, title=middle_ellipsis(str(column)), axis=label_axis()),
        yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-4, 4])),
        x=alt.X("shap:Q", title="SHAP value"), tooltip=tooltip,
    )
    return row_height(chart, len(order), 28)


def waterfall_frame(e, row, bars: int = WATERFALL_BARS) -> pd.DataFrame:
    """Steps from the base value to the row's output: the ``bars`` largest contributions, then the rest.

    Columns: ``label`` (short, distinct), ``detail`` (the full column name and value), ``start``, ``end``,
    ``contribution``, ``kind`` ("base", "up", "down", "output").
    The last step's ``end`` equals the row's output (additivity).
    """
    position = e.values.index.get_loc(row)
    contributions = e.values.iloc[position]
    data = e.data.iloc[position]
    order = contributions.abs().sort_values(ascending=False).index
    if len(order) == bars + 1:      # one column left over gets its own bar, never "1 other columns"
        bars += 1
    shown, rest = list(order[:bars]), list(order[bars:])
    names = unique_labels(shown, limit=28)
    steps = [(f"{name} = {_short(data[c], 18)}", f"{c} = {_short(data[c], 200)}", float(contributions[c]))
             for c, name in zip(shown, names)]
    if rest:
        other = f"{len(rest)} other columns"
        steps.append((other, other, float(contributions[rest].sum())))
    base = f"base value {e.base_value:.4g}"
    rows = [{"label": base, "detail": base, "start": 0.0, "end": e.base_value, "contribution": e.base_value,
             "kind": "base"}]
    level = e.base_value
    for label, detail, value in steps:
        rows.append({"label": label, "detail": detail, "start": level, "end": level + value, "contribution": value,
                     "kind": "up" if value >= 0 else "down"})
        level += value
    output = f"output {float(e.output[position]):.4g}"
    rows.append({"label": output, "detail": output, "start": 0.0, "end": float(e.output[position]),
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
        y=alt.Y("label:N", sort=list(frame["label"]), title=None, axis=label_axis()),
        color=alt.Color("kind:N", scale=colours, legend=None),
        tooltip=[alt.Tooltip("detail:N", title="step"), alt.Tooltip("contribution:Q", format="+.4g"),
                 alt.Tooltip("end:Q", format=".4g")],
    )
    x = alt.X("start:Q", title=output_label(e), scale=alt.Scale(zero=False), axis=alt.Axis(format=".3~g"))
    bars_layer = base.transform_filter("datum.kind == 'up' || datum.kind == 'down'").mark_bar().encode(x=x, x2="end:Q")
    marks = base.transform_filter("datum.kind == 'base' || datum.kind == 'output'").mark_point(
        filled=True, size=120, shape="diamond").encode(x=alt.X("end:Q"))
    return row_height(alt.layer(bars_layer, marks), len(frame), max(26, ROW_PX), 150)


def number_text(value: float) -> str:
    """A feature's value in a label: whole and large numbers as integers (an account 500054, a year 2019, not
    5.001e+05 or 2019.0), others to 4 significant digits.

    Examples
    --------
    >>> [number_text(v) for v in (500054.0, 123456.7, 2019.0, 0.000123, 3.14159, -2.5e20)]
    ['500054', '123457', '2019', '0.000123', '3.142', '-2.5e+20']
    """
    if np.isfinite(value) and abs(value) < 1e15 and (value == round(value) or abs(value) >= 1e4):
        return f"{value:.0f}"
    return f"{value:.4g}"


def _short(value, limit: int = 30) -> str:
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return "(missing)"
    if isinstance(value, (float, np.floating)):
        text = number_text(float(value))
    elif isinstance(value, pd.Timestamp) and value == value.normalize():
        text = value.strftime("%Y-%m-%d")
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
