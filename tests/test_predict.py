"""Schema checks, prediction frames, formula-safe CSV, and the `automl predict` command."""
import argparse
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_zoo import fitted

from automl_engine import DataError, load_model
from automl_engine.cli import predict_cmd
from automl_engine.model.predict import check_schema, escape_formulas, predict_frame, to_csv_bytes
from automl_engine.model.skops_io import save_model

CARD = {"target": "label", "input_schema": [
    {"name": "age", "kind": "numeric", "dtype": "number"},
    {"name": "when", "kind": "datetime", "dtype": "date/time"},
    {"name": "colour", "kind": "categorical", "dtype": "text or category"},
]}


def good_frame(n=3):
    return pd.DataFrame({"age": np.arange(n, dtype=float), "when": pd.date_range("2024-01-01", periods=n),
                         "colour": ["red", "blue", "red"][:n]})


def test_a_fitting_table_has_no_messages():
    assert check_schema(CARD, good_frame()) == []
    text_dates = good_frame().assign(when=["2024-01-01", "2024-02-03", None], age=["1", "2.5", None])
    assert check_schema(CARD, text_dates) == []


def test_missing_unexpected_and_target_columns():
    frame = good_frame().drop(columns=["when"]).assign(extra=1, label="x")
    messages = check_schema(CARD, frame)
    assert any("lacks 1 column" in m and "'when'" in m for m in messages)
    assert any("'extra'" in m and "ignored" in m for m in messages)
    assert any("target column 'label'" in m for m in messages)
    assert all(isinstance(m, str) and m.endswith(".") for m in messages)


def test_type_mismatches():
    frame = good_frame().assign(age=["12", "old", "n/a?"], when=["2024-01-01", "not a date", "2024-13-45"])
    messages = check_schema(CARD, frame)
    assert any(m.startswith("Column 'age' should hold numbers") and "'old'" in m for m in messages)
    assert any(m.startswith("Column 'when' should hold dates") and "'not a date'" in m for m in messages)
    assert check_schema(CARD, good_frame().iloc[:0]) == ["The table has no rows to predict; add at least one "
                                                        "row below the header."]
    assert check_schema(CARD, "not a frame")[0].startswith("The data is not a table")


cells = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                  st.text(max_size=8), st.booleans(), st.datetimes(), st.sampled_from(["=1+1", "-", "2024-01-01", ""]))


@st.composite
def frames(draw):
    names = draw(st.lists(st.one_of(st.sampled_from(["age", "when", "colour", "label", "x"]), st.text(max_size=4),
                                    st.integers(0, 3)), min_size=0, max_size=5))
    n = draw(st.integers(0, 4))
    data = [[draw(cells) for _ in names] for _ in range(n)]
    return pd.DataFrame(data, columns=names) if names else pd.DataFrame(index=range(n))


schemas = st.fixed_dictionaries({"input_schema": st.lists(st.fixed_dictionaries({
    "name": st.one_of(st.sampled_from(["age", "when", "colour"]), st.text(max_size=4)),
    "kind": st.sampled_from(["numeric", "datetime", "categorical", "text", "boolean", "weird"])}), max_size=4),
    "target": st.one_of(st.none(), st.sampled_from(["label", "x"]))})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(card=st.one_of(st.just(CARD), schemas), frame=frames())
def test_check_schema_returns_sentences_for_any_frame(card, frame):
    messages = check_schema(card, frame)
    assert isinstance(messages, list) and all(isinstance(m, str) and m for m in messages)


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for task, family in (("multiclass", "random_forest"), ("regression", "ridge")):
        model, X, y = fitted(task, family)
        out[task] = (load_model(save_model(model, folder / f"{task}.skops")), X, folder / f"{task}.skops")
    return out


def test_predict_frame_classification(saved_models):
    model, X, _ = saved_models["multiclass"]
    out = predict_frame(model, X.assign(extra="ignored"))
    assert list(out.columns) == ["prediction", "proba_high", "proba_low", "proba_mid"]
    assert out.index.equals(X.index)
    np.testing.assert_allclose(out.filter(like="proba_").sum(axis=1), 1.0)
    assert set(out["prediction"]) <= {"low", "mid", "high"}
    both = predict_frame(model, X.head(5), include_input=True)
    assert list(both.columns[: len(X.columns)]) == list(X.columns)
    with pytest.raises(DataError, match="'review'"):
        predict_frame(model, X.drop(columns=["review"]))


def test_predict_frame_regression(saved_models):
    model, X, _ = saved_models["regression"]
    out = predict_frame(model, X)
    assert list(out.columns) == ["prediction"] and out["prediction"].dtype.kind == "f"


def test_csv_escapes_formulas_but_keeps_numbers():
    frame = pd.DataFrame({"text": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "plain", None],
                          "number": [-1.5, -2, 3, 0, -0.0, 1e9, 2, np.nan],
                          "=bad header": list(range(-4, 4))})
    text = to_csv_bytes(frame).decode("utf-8")
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(back.columns) == ["text", "number", "'=bad header"]
    assert back["text"].tolist()[:7] == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tTab", "'\rCR", "plain"]
    assert ",-1.5," in text and ",'-1.5" not in text  # numbers are not quoted or escaped
    assert back["'=bad header"].tolist() == list(range(-4, 4))
    assert escape_formulas(frame)["number"].tolist()[:3] == [-1.5, -2.0, 3.0]


def test_csv_keeps_lone_signs_the_labels_of_a_plus_minus_target():
    frame = pd.DataFrame({"prediction": ["+", "-", "+-", "-x", " -"], "proba_+": [0.9, 0.1, 0.5, 0.5, 0.5]})
    back = pd.read_csv(io.StringIO(to_csv_bytes(frame).decode("utf-8")), keep_default_na=False)
    assert back["prediction"].tolist() == ["+", "-", "'+-", "'-x", " -"] and list(back.columns)[1] == "proba_+"


def run_cli(argv):
    parser = argparse.ArgumentParser()
    predict_cmd.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_cli_predict_writes_escaped_csv(saved_models, tmp_path, capsys):
    model, X, path = saved_models["multiclass"]
    data = tmp_path / "new.csv"
    X.head(6).assign(review=["=cmd|' /C calc'!A0"] + list(X["review"].iloc[1:6]), extra=1).to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    assert run_cli(["predict", str(path), str(data), "--out", str(out)]) == 0
    written = pd.read_csv(out)
    assert len(written) == 6 and "prediction" in written and "proba_low" in written
    assert written["review"].iloc[0].startswith("'=")
    assert "ignored" in capsys.readouterr().err
    assert run_cli(["predict", str(path), str(data)]) == 0
    assert capsys.readouterr().out.startswith("num_a,")


def test_cli_predict_writes_whole_numbers_with_a_gap_as_they_were_given(saved_models, tmp_path):
    """An id or count column with an empty cell is read as floats; the output must not turn 101 into 101.0."""
    model, X, path = saved_models["multiclass"]
    data = tmp_path / "new.csv"
    X.head(4).assign(customer=["101", "", "103", "12345678901"], num_a=[1.0, None, 3.0, 4.0]).to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    assert run_cli(["predict", str(path), str(data), "--out", str(out)]) == 0
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(written["customer"]) == ["101", "", "103", "12345678901"]
    assert list(written["num_a"]) == ["1", "", "3", "4"]
    assert list(written["num_b"]) == [str(v) for v in X["num_b"].head(4)]  # real fractions are left alone


def test_cli_predict_errors_are_data_errors(saved_models, tmp_path):
    model, X, path = saved_models["multiclass"]
    data = tmp_path / "new.csv"
    X.drop(columns=["city"]).to_csv(data, index=False)
    with pytest.raises(DataError, match="'city'"):
        run_cli(["predict", str(path), str(data)])
    with pytest.raises(DataError, match="no model file"):
        run_cli(["predict", str(tmp_path / "nope.skops"), str(data)])
    bogus = tmp_path / "bogus.skops"
    bogus.write_text("hello")
    with pytest.raises(DataError, match="not a model file"):
        run_cli(["predict", str(bogus), str(data)])


def test_cli_predict_names_the_empty_rows_it_skips(saved_models, tmp_path, capsys):
    model, X, path = saved_models["regression"]
    data = tmp_path / "new.csv"
    new = X.head(20).astype(object)
    new.iloc[[4, 9, 15]] = None  # written as ',,,,' lines: no value in any column
    new.to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    assert run_cli(["predict", str(path), str(data), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 17
    err = capsys.readouterr().err
    assert "note: 3 row(s) are empty in every column and get no prediction: data row(s) 5, 10, 16 " in err
    assert "wrote 17 predictions" in err


def test_an_input_prediction_column_is_kept_and_the_predictions_get_a_free_name(saved_models):
    model, X, _ = saved_models["multiclass"]
    mine = X.head(5).assign(prediction="mine", proba_low_1=0.5)
    out = predict_frame(model, mine, include_input=True)
    assert list(out.columns[-5:]) == ["proba_low_1", "prediction_2", "proba_high_2", "proba_low_2", "proba_mid_2"]
    assert out["prediction"].tolist() == ["mine"] * 5 and out.columns.is_unique
    messages = check_schema(model.card, mine)
    assert any("already has a column named 'prediction'" in m and "'prediction_2'" in m
               and "'proba_<class>_2'" in m for m in messages)
    regression, X_reg, _ = saved_models["regression"]
    out = predict_frame(regression, X_reg.head(3).assign(prediction=1.0), include_input=True)
    assert list(out.columns[-2:]) == ["prediction", "prediction_1"] and out["prediction"].tolist() == [1.0] * 3


def test_a_category_column_of_numbers_predicts_the_same_when_a_gap_makes_it_floats(tmp_path):
    """Trained on '<5', '5' … '9', '10+' (categories); a batch without the text values, with an empty cell,
    loads as floats (5.0): the model must still see the category '5', not an unknown '5.0'."""
    from model_zoo import spec_for

    from automl_engine import load_table
    from automl_engine.catalogue import build_pipeline
    from automl_engine.catalogue.steps import ToStrings

    rng = np.random.default_rng(0)
    sleep = rng.choice(["<5", "5", "6", "7", "8", "9", "10+"], 300, p=[.04, .12, .2, .25, .2, .15, .04])
    y = np.where(np.isin(sleep, ["<5", "5", "6"]), "tired", "rested")
    pd.DataFrame({"sleep": sleep, "y": y}).to_csv(tmp_path / "train.csv", index=False)
    train = load_table(tmp_path / "train.csv")
    pipe = build_pipeline(spec_for("classification", "logreg"), {"sleep": "categorical"}, random_state=0)
    pipe.fit(train[["sleep"]], train["y"])
    pd.DataFrame({"sleep": ["5", "6", "8", "9", None], "id": range(5)}).to_csv(tmp_path / "batch.csv", index=False)
    batch = load_table(tmp_path / "batch.csv")[["sleep"]]
    assert batch["sleep"].dtype == float
    assert list(pipe.predict(batch)[:4]) == ["tired", "tired", "rested", "rested"]
    assert list(pipe.predict(batch)[:4]) == list(pipe.predict(pd.DataFrame({"sleep": ["5", "6", "8", "9"]})))

    old = ToStrings()
    del old.same_numbers  # as a model saved before the parameter existed loads
    assert list(old.fit_transform(pd.DataFrame({"c": [5.0, 7.5, np.nan]}))[:, 0][:2]) == ["5.0", "7.5"]
    assert list(ToStrings().fit_transform(pd.DataFrame({"c": [5.0, 7.5, 5]}))[:, 0]) == ["5", "7.5", "5"]
