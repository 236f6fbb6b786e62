"""Explain charts are readable: every row labelled, distinct labels for distinct columns, full names on hover,
a text column with 200 values plotted as a few strips (the Vega-Lite specs built by automl_app.explain_charts)."""
from types import SimpleNamespace

import numpy as np
import pandas as pd

from automl_app import explain_charts as charts

N_ROWS = 60
LONG = ["capital_run_length_" * 3 + kind for kind in ("average", "longest", "total")]   # same 57-char prefix


def fake_explanation(n_columns=15, text_values=200):
    """What the charts read of an Explanation: data, values, importance(), base value, output, class."""
    rng = np.random.default_rng(0)
    names = LONG + [f"feature_{i}" for i in range(n_columns - len(LONG) - 1)] + ["city"]
    data = pd.DataFrame({name: rng.normal(size=N_ROWS) for name in names[:-1]})
    data["city"] = [f"city number {i % text_values:03d} of a long list" for i in range(N_ROWS)]
    # larger first: the long names have the largest effects
    values = pd.DataFrame({name: rng.normal(size=N_ROWS) * (n_columns - i) for i, name in enumerate(names)})
    importance = values.abs().mean().sort_values(ascending=False)
    base = 0.5
    return SimpleNamespace(data=data, values=values, importance=lambda: importance, base_value=base,
                           output=base + values.sum(axis=1).to_numpy(), class_label="yes",
                           output_kind="probability")


def y_axis(spec):
    layers = spec.get("layer", [spec])
    return [layer["encoding"]["y"] for layer in layers if "y" in layer.get("encoding", {})] or [spec["encoding"]["y"]]


def check_labelled(chart, labels, full_names_field):
    spec = chart.to_dict()
    assert len(set(labels)) == len(labels), "two rows share one label"
    assert all(len(label) <= charts.LABEL_CHARS for label in labels)
    for y in y_axis(spec):
        assert y["axis"]["labelOverlap"] is False          # Streamlit's theme would drop every other label
        assert y["axis"]["labelLimit"] >= 7 * charts.LABEL_CHARS      # and cut them at 100 px
        assert y["sort"] == list(labels)
    assert spec["height"] >= charts.ROW_PX * len(labels)
    tooltips = [t["field"] for t in (spec.get("encoding") or spec["layer"][0]["encoding"])["tooltip"]]
    assert full_names_field in tooltips


def test_every_importance_bar_has_its_own_label_and_the_full_name_on_hover():
    e = fake_explanation()
    frame = charts.importance_frame(e)
    assert len(frame) == 15
    check_labelled(charts.importance_chart(e), list(frame["label"]), "column")
    long = frame[frame["column"].isin(LONG)]                             # full names, for the tooltip
    assert len(long) == 3 and long["label"].nunique() == 3


def test_every_beeswarm_row_has_its_own_label():
    e = fake_explanation()
    frame = charts.beeswarm_frame(e)
    labels = list(dict.fromkeys(frame["label"]))
    assert len(labels) == 15 and frame.groupby("label")["column"].nunique().eq(1).all()
    check_labelled(charts.beeswarm_chart(e), labels, "column")


def test_every_waterfall_step_is_labelled_the_largest_first():
    e = fake_explanation()
    row = e.values.index[0]
    frame = charts.waterfall_frame(e, row)
    check_labelled(charts.waterfall_chart(e, row), list(frame["label"]), "detail")
    largest = e.values.loc[row].abs().idxmax()
    assert frame["detail"][1].startswith(f"{largest} = ")        # the full name, after the base value
    assert frame["label"][1] != frame["label"][2]


def test_a_waterfall_label_writes_an_id_or_a_year_as_the_user_wrote_it():
    e = fake_explanation()
    row = e.values.index[0]
    account, year, rate = e.values.loc[row].abs().sort_values(ascending=False).index[:3]   # shown as bars
    e.data[account] = 500054.0           # an account number read as floats (a gap elsewhere)
    e.data[year] = 2019.0
    e.data[rate] = 0.0123456
    details = list(charts.waterfall_frame(e, row)["detail"])
    assert f"{account} = 500054" in details and f"{year} = 2019" in details, details
    assert f"{rate} = 0.01235" in details, details


def test_the_titles_say_when_only_the_largest_columns_are_shown():
    wide, narrow = fake_explanation(n_columns=20), fake_explanation(n_columns=15)
    for chart in (charts.importance_chart, charts.beeswarm_chart):
        assert chart(wide).to_dict()["title"].endswith("(the 15 largest of 20 columns)")
        assert "largest" not in chart(narrow).to_dict()["title"]


def test_the_waterfall_pools_only_two_or_more_columns_as_other():
    for n_columns, steps, other in ((15, 11, "5 other columns"), (11, 11, None), (10, 10, None)):
        e = fake_explanation(n_columns=n_columns, text_values=5)
        frame = charts.waterfall_frame(e, e.values.index[0], bars=10)
        assert len(frame) == steps + 2, n_columns                  # base value, the steps, the output
        assert (frame["label"].str.contains("other column").sum() == 0) if other is None else \
            (other in list(frame["label"]))


def test_unique_labels_shorten_in_the_middle_and_never_merge_columns():
    names = ["a" * 60, "a" * 59 + "b", "short", "short"]
    labels = charts.unique_labels(names, limit=20)
    assert labels[2] == labels[3] == "short"
    assert len(set(labels[:3])) == 3 and all(len(label) <= 20 for label in labels)
    assert charts.middle_ellipsis("capital_run_length_longest", 16) == "capital_…longest"


def test_a_text_column_with_200_values_shows_the_most_frequent_and_groups_the_rest():
    e = fake_explanation(text_values=200)
    e.data = pd.concat([e.data] * 4, ignore_index=True)          # 240 rows: 200 values, the first 40 twice
    e.values = pd.concat([e.values] * 4, ignore_index=True)
    e.data["city"] = [f"city {i:03d}" for i in range(200)] + [f"city {i:03d}" for i in range(40)]
    frame = charts.dependence_frame(e, "city")
    labels = frame["label"].unique()
    assert len(labels) <= charts.TOP_VALUES + 1
    assert "other (185 values)" in labels
    assert set(frame.loc[~frame["other"], "value"]) <= {f"city {i:03d}" for i in range(40)}
    spec = charts.dependence_chart(e, "city").to_dict()
    y = spec["encoding"]["y"]
    assert y["field"] == "label" and len(y["sort"]) == len(labels) and y["sort"][-1] == "other (185 values)"
    assert y["axis"]["labelOverlap"] is False
    assert spec["encoding"]["tooltip"][0]["field"] == "value"          # the full value on hover


def test_a_numeric_dependence_plot_is_a_scatter():
    e = fake_explanation()
    spec = charts.dependence_chart(e, "feature_0").to_dict()
    assert spec["encoding"]["x"]["type"] == "quantitative" and len(charts.dependence_frame(e, "feature_0")) == N_ROWS
