"""Tests of the data guardrails: each check fires on data built to trigger it and passes on clean data."""
import json

import numpy as np
import pandas as pd
import pytest

from automl_engine.data import guardrails as gr
from automl_engine.data.column_types import CATEGORICAL, HIGH_CARDINALITY, NUMERIC
from automl_engine.data.intake import ColumnInfo, prepare_data


def clean_frame(n=300, seed=0):
    """Balanced, no missing values, no duplicates, no leaks, no dropped columns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "x": x,
        "z": rng.normal(size=n),
        "colour": rng.choice(["red", "green", "blue"], n),
        "y": np.where(x + rng.normal(scale=1.5, size=n) > 0, "pos", "neg"),
    })


def statuses(report):
    return {c.name: c.status for c in report.checks}


def test_clean_data_passes_every_check():
    report = prepare_data(clean_frame(), "y").report
    assert statuses(report) == {
        "missing_markers": "passed", "missing_target": "passed", "rare_classes": "passed", "duplicate_rows": "passed",
        "sub_sampling": "passed", "constant_columns": "passed", "id_columns": "passed",
        "missing_values": "passed", "high_cardinality": "passed", "class_imbalance": "passed",
        "target_leakage": "passed"}
    for check in report.checks:
        assert check.message.endswith(".") and check.action.endswith(".")


def test_clean_regression_has_no_class_checks():
    df = clean_frame()
    df["t"] = df["x"] + np.random.default_rng(1).normal(size=len(df))
    report = prepare_data(df.drop(columns="y"), "t").report
    assert "class_imbalance" not in statuses(report) and "rare_classes" not in statuses(report)
    assert report.status_counts() == {"passed": 9, "fixed": 0, "alert": 0}


def test_missing_values_fixed():
    df = clean_frame()
    df.loc[:29, "x"] = np.nan
    df.loc[:4, "colour"] = None
    check = prepare_data(df, "y").report.get("missing_values")
    assert check.status == "fixed" and check.columns == ("x", "colour")
    assert "'x' 30 (10.0%)" in check.message and "imputed" in check.action.lower()


def test_missing_target_rows_dropped():
    df = clean_frame()
    df.loc[:9, "y"] = None
    data = prepare_data(df, "y")
    check = data.report.get("missing_target")
    assert check.status == "fixed" and "10 of 300 rows" in check.message
    assert len(data.y) == 290 and data.y.notna().all()
    assert data.report.get("sub_sampling").status == "passed"  # dropping is not sampling


def test_class_imbalance_alert():
    df = clean_frame(n=600)
    df["y"] = ["rare"] * 40 + ["common"] * 560
    check = prepare_data(df, "y").report.get("class_imbalance")
    assert check.status == "alert" and "'rare' has 40 rows" in check.message
    assert "0.07" in check.message
    assert gr.check_class_imbalance(pd.Series(["a"] * 30 + ["b"] * 20)).status == "passed"


def test_high_cardinality_fixed():
    df = clean_frame()
    df["town"] = [f"town{i % 60}" for i in range(len(df))]
    data = prepare_data(df, "y")
    assert data.column_types["town"] == HIGH_CARDINALITY
    check = data.report.get("high_cardinality")
    assert check.status == "fixed" and check.columns == ("town",)
    assert "target- or ordinal-encoded" in check.action


def test_constant_and_id_columns_dropped():
    df = clean_frame()
    df.insert(0, "customer_id", np.arange(len(df)) + 5000)
    df["source"] = "web"
    data = prepare_data(df, "y")
    assert "customer_id" not in data.X and "source" not in data.X
    constant, ids = data.report.get("constant_columns"), data.report.get("id_columns")
    assert constant.status == "fixed" and constant.columns == ("source",)
    assert ids.status == "fixed" and ids.columns == ("customer_id",)
    assert "Dropped 'customer_id'" in ids.action


def test_duplicate_rows_alert_with_count():
    df = clean_frame()
    df = pd.concat([df, df.iloc[:7]], ignore_index=True)
    check = prepare_data(df, "y").report.get("duplicate_rows")
    assert check.status == "alert" and check.message.startswith("7 of 307 rows")


@pytest.mark.parametrize("kind", ["numeric", "categorical"])
def test_target_leakage_alert_classification(kind):
    df = clean_frame()
    if kind == "numeric":
        df["outcome_score"] = np.where(df["y"] == "pos", 1.0, 0.0) + np.random.default_rng(
            3).uniform(0, 0.5, len(df))
    else:  # codes that map one-to-one onto the classes, several codes per class
        codes = np.random.default_rng(4).integers(0, 4, len(df))
        df["outcome_score"] = [f"{label}-{c}" for label, c in zip(df["y"], codes)]
    check = prepare_data(df, "y").report.get("target_leakage")
    assert check.status == "alert" and check.columns == ("outcome_score",)
    assert "'outcome_score' (balanced accuracy 1.00)" in check.message


def test_target_leakage_alert_regression_and_pass():
    df = clean_frame().drop(columns="y")
    df["t"] = 3 * df["x"] + np.random.default_rng(5).normal(scale=2, size=len(df))
    assert prepare_data(df, "t").report.get("target_leakage").status == "passed"
    df["t_in_cents"] = df["t"] * 100
    check = prepare_data(df, "t").report.get("target_leakage")
    assert check.status == "alert" and check.columns == ("t_in_cents",) and "R²" in check.message


def test_target_leakage_uses_a_sample():
    n = 20_000
    y = pd.Series(np.arange(n) % 2)
    X = pd.DataFrame({"copy": y.astype(float), "noise": np.random.default_rng(0).normal(size=n)})
    check = gr.check_target_leakage(X, y, "binary", sample_rows=500)
    assert check.status == "alert" and check.columns == ("copy",)


def test_rare_classes_fixed_and_passed():
    df = clean_frame()
    df.loc[:1, "y"] = "tiny"
    df.loc[2:4, "y"] = "small"
    data = prepare_data(df, "y")
    check = data.report.get("rare_classes")
    assert check.status == "fixed" and "'tiny' (2)" in check.message and "'small' (3)" in check.message
    assert "Dropped the 5 rows" in check.action
    assert set(data.y) == {"pos", "neg"}
    assert gr.check_rare_classes({"a": 5, "b": 9}, 5).status == "passed"


def test_sub_sampling_notice():
    data = prepare_data(clean_frame(n=400), "y", max_rows=100)
    check = data.report.get("sub_sampling")
    assert check.status == "fixed" and "400 rows" in check.message and "100 rows" in check.action
    assert data.report.n_rows_original == 400 and data.report.n_rows_used == 100


def test_report_frame_dict_and_counts():
    report = gr.DataReport(target="y", task="binary")
    report.add(gr.Check("a", "passed", "Fine.", "Nothing to do."))
    report.add(gr.Check("b", "alert", "Look.", "Kept.", ("x", "z")))
    report.add(gr.Check("c", "fixed", "Fixed.", "Dropped."))
    assert report.status_counts() == {"passed": 1, "fixed": 1, "alert": 1}
    frame = report.to_frame()
    assert list(frame.columns) == ["name", "status", "message", "action", "columns"]
    assert frame.loc[1, "columns"] == "x, z"
    as_dict = json.loads(json.dumps(report.to_dict()))
    assert as_dict["checks"][1]["columns"] == ["x", "z"] and as_dict["target"] == "y"
    assert report.get("c").action == "Dropped." and report.get("missing") is None
    with pytest.raises(ValueError):
        gr.Check("d", "bad-status", "m", "a")
    assert gr.DataReport().to_frame().empty


def test_check_functions_directly():
    infos = {"id": ColumnInfo("id", "id", "a different value in every row → id", 0, 10),
             "k": ColumnInfo("k", "constant", "the same value ('1') in every row → constant", 0, 1),
             "x": ColumnInfo("x", "numeric", "numbers", 0, 10)}
    constant, ids = gr.check_dropped_columns(infos)
    assert constant.columns == ("k",) and ids.columns == ("id",)
    assert gr.check_high_cardinality({"a": NUMERIC, "b": CATEGORICAL}).status == "passed"
    assert gr.check_missing_values(pd.DataFrame({"a": [1, 2]})).status == "passed"
    assert gr.check_duplicate_rows(pd.DataFrame({"a": [[1], [1]]})).status == "alert"
    assert gr.check_sub_sampling(10, 10, sampled=False).status == "passed"
    assert "uniform" in gr.check_sub_sampling(100, 10, sampled=True).action
    assert gr.check_missing_target("y", 0, 10).status == "passed"


def test_a_wide_table_cross_validates_only_the_columns_that_screen_high(monkeypatch):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 2000)), columns=[f"c{i}" for i in range(2000)])
    y = pd.Series(np.where(X["c0"] + X["c1"] > 0, "a", "b"))
    X["leak"] = (y == "a") * 3.0 + rng.normal(scale=0.01, size=600)
    X["city"] = rng.choice(["x", "y", "z"], size=600)              # a category column is always cross-validated
    scored = []
    real = gr._leakage_score
    monkeypatch.setattr(gr, "_leakage_score", lambda x, code, *a: scored.append(code) or real(x, code, *a))
    check = gr.check_target_leakage(X, y, "binary")
    assert check.status == "alert" and check.columns == ("leak",)
    assert len(scored) < 20 and True in scored                     # not 2,002 cross-validations


@pytest.mark.parametrize("classification", [True, False])
def test_the_screen_never_drops_a_column_the_full_check_calls_leaking(classification):
    rng = np.random.default_rng(3 if classification else 4)
    leaking = 0
    for _ in range(60):
        n = int(rng.integers(40, 1500))
        x = rng.normal(size=n) if rng.random() < 0.5 else rng.integers(0, 40, size=n).astype(float)
        if classification:
            cuts = np.sort(rng.choice(x, size=int(rng.integers(1, 15)), replace=False))
            y = np.digitize(x, cuts) % int(rng.integers(2, 5))
            y = np.where(rng.random(n) < rng.choice([0, 0.01]), rng.integers(0, 2, size=n), y)
            if np.bincount(y).min() < 3:
                continue
            y = pd.factorize(y)[0]
        else:
            y = np.sin(x * rng.uniform(0.1, 2)) * 3 + x * rng.uniform(-1, 1) + rng.normal(scale=0.05, size=n)
        if gr._leakage_score(x.reshape(-1, 1), False, y, classification, 0) > gr.LEAKAGE_THRESHOLD:
            leaking += 1
            screen = gr._screen_scores(x.reshape(-1, 1), y, classification)[0]
            assert screen >= gr.LEAKAGE_THRESHOLD - gr.LEAKAGE_SCREEN_MARGIN
    assert leaking >= 10                                            # the property was exercised


def test_the_leakage_check_reads_number_columns_as_one_block_exactly_as_one_by_one():
    from automl_engine.data.guardrails import _number_matrix, _single_column_matrix

    rng = np.random.default_rng(0)
    n = 50
    X = pd.DataFrame({
        "normal": rng.normal(size=n), "gaps": np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n)),
        "empty": np.full(n, np.nan), "ints": rng.integers(0, 4, n), "flag": rng.random(n) < 0.5,
        "date": pd.date_range("2020-01-01", periods=n), "nullable": pd.array(rng.integers(0, 3, n), dtype="Int64"),
        "infinite": np.where(rng.random(n) < 0.2, np.inf, 1.0),
    })
    expected = np.column_stack([_single_column_matrix(X[c]) for c in X.columns])
    assert np.array_equal(_number_matrix(X), expected)


def test_duplicate_rows_are_counted_as_pandas_counts_them():
    from automl_engine.data.guardrails import _duplicate_rows

    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(2, 40))
        frame = pd.DataFrame({
            "floats": rng.integers(0, 2, n).astype(float), "ints": rng.integers(0, 2, n),
            "gaps": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 2, n) * 1.0),
            "signed_zeros": np.where(rng.random(n) < 0.5, -0.0, 0.0),
            "float32": rng.integers(0, 2, n).astype(np.float32), "uint8": rng.integers(0, 2, n).astype(np.uint8),
            "words": rng.choice(["a", "b", None], n), "flag": rng.random(n) < 0.5,
            "dates": pd.to_datetime(np.where(rng.random(n) < 0.5, "2020-01-01", None)),
        })
        assert _duplicate_rows(frame) == int(frame.duplicated().sum())
