"""Tests of data intake: formats, encodings, bad inputs, column typing, task detection, preparation."""
import io
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl_engine.data import readers as _readers
from automl_engine.data.column_types import (
    BOOLEAN,
    CATEGORICAL,
    CONSTANT,
    DATETIME,
    HIGH_CARDINALITY,
    ID_LIKE,
    NUMERIC,
    TEXT,
)
from automl_engine.data.intake import (
    ColumnInfo,
    PreparedData,
    clean_table,
    detect_task,
    infer_column_types,
    load_table,
    prepare_data,
)
from automl_engine.data.samples import sample_datasets
from automl_engine.errors import DataError


class FakeUploadedFile:
    """What the engine sees of Streamlit's UploadedFile: name, size, read(), getvalue()."""

    def __init__(self, data: bytes, name: str):
        self._data, self.name, self.size, self.type = data, name, len(data), ""
        self._pos = 0

    def read(self, n=-1):
        chunk = self._data[self._pos:] if n < 0 else self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        return chunk

    def getvalue(self):
        return self._data


def frame(n=30):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "amount": rng.normal(100, 20, n).round(3),
        "count": rng.integers(0, 9, n),
        "city": rng.choice(["Zürich", "Málaga", "Köln", "Paris"], n),
        "label": rng.choice(["yes", "no"], n),
    })
    df.loc[3, "amount"] = np.nan
    df.loc[5, "city"] = None
    return df


def as_bytes(df, fmt):
    """Serialise ``df`` in one of the supported formats; returns (bytes, file name)."""
    if fmt == "parquet":
        buf = io.BytesIO()
        df.to_parquet(buf)
        return buf.getvalue(), "data.parquet"
    if fmt == "xlsx":
        buf = io.BytesIO()
        df.to_excel(buf, index=False)
        return buf.getvalue(), "data.xlsx"
    sep, enc, decimal, name = {
        "csv": (",", "utf-8", ".", "data.csv"),
        "tsv": ("\t", "utf-8", ".", "data.tsv"),
        "semicolon": (";", "utf-8", ",", "data.csv"),
        "pipe": ("|", "utf-8", ".", "data.txt"),
        "latin1": (",", "latin-1", ".", "data.csv"),
        "bom": (",", "utf-8-sig", ".", "data.csv"),
        "cp1252_semicolon": (";", "cp1252", ",", "data.csv"),
    }[fmt]
    return df.to_csv(index=False, sep=sep, decimal=decimal).encode(enc), name


FORMATS = ["csv", "tsv", "semicolon", "pipe", "latin1", "bom", "cp1252_semicolon", "parquet",
           "xlsx"]


@pytest.mark.parametrize("how", ["path", "bytesio", "upload"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(tmp_path, fmt, how):
    df = frame()
    data, name = as_bytes(df, fmt)
    if how == "path":
        path = tmp_path / name
        path.write_bytes(data)
        source = str(path)
    elif how == "bytesio":
        source = io.BytesIO(data)  # no name: the format comes from the content alone
    else:
        source = FakeUploadedFile(data, name)
    loaded = load_table(source)
    pd.testing.assert_frame_equal(loaded, df, check_dtype=False)
    assert "sampled_from" not in loaded.attrs


def test_content_wins_over_extension():
    df = frame()
    tsv, _ = as_bytes(df, "tsv")
    pd.testing.assert_frame_equal(load_table(FakeUploadedFile(tsv, "data.csv")), df,
                                  check_dtype=False)
    pq, _ = as_bytes(df, "parquet")
    pd.testing.assert_frame_equal(load_table(FakeUploadedFile(pq, "data.csv")), df,
                                  check_dtype=False)
    csv, _ = as_bytes(df, "csv")
    pd.testing.assert_frame_equal(load_table(FakeUploadedFile(csv, "data.xlsx")), df,
                                  check_dtype=False)


def test_utf16_with_bom_and_path_object(tmp_path):
    df = frame()
    path = tmp_path / "u16.csv"
    path.write_bytes(df.to_csv(index=False).encode("utf-16"))
    pd.testing.assert_frame_equal(load_table(path), df, check_dtype=False)


def bucket_csv(n=300, seed=0):
    """Hours of sleep as a survey records them: numbers, with the ends of the scale as text ('<5', '10+')."""
    rng = np.random.default_rng(seed)
    sleep = rng.choice(["<5", "5", "6", "7", "8", "9", "10+", ""], n, p=[.04, .1, .2, .25, .2, .12, .04, .05])
    y = np.where(np.isin(sleep, ["<5", "5", "6"]), "tired", "rested")
    return pd.DataFrame({"sleep": sleep, "age": rng.integers(14, 19, n), "y": y}).to_csv(index=False).encode()


def test_a_few_numbers_mixed_with_text_are_read_as_categories():
    table = load_table(io.BytesIO(bucket_csv()))
    assert set(table["sleep"].dropna()) == {"<5", "5", "6", "7", "8", "9", "10+"}
    assert table["sleep"].isna().sum() > 0  # the empty cells stay missing, not a category
    data = prepare_data(table, "y")
    assert data.column_types["sleep"] == CATEGORICAL
    check = data.report.get("mixed_categories")
    assert check.status == "fixed" and check.columns == ("sleep",)
    assert "'10+', '<5'" in check.message and "read as categories" in check.message
    assert check.message.endswith(".") and check.action.endswith(".")
    assert prepare_data(table, "y", exclude=["sleep"]).report.get("mixed_categories") is None
    assert prepare_data(load_table(io.BytesIO(b"a,y\n" + b"1,x\n2,z\n" * 20)), "y").report.get(
        "mixed_categories") is None  # only tables with such a column get the check
    written = pd.DataFrame({"sleep": ["5.0"] * 12 + ["6"] * 12 + [" 7"] * 12 + ["<5"] * 4, "y": ["a", "b"] * 20})
    assert set(load_table(io.BytesIO(written.to_csv(index=False).encode()))["sleep"]) == {"5", "6", "7", "<5"}


def test_missing_markers_dates_and_numbers_as_text():
    text = ("x,when,code,y\n" + "".join(f"{i},{i + 1:02d}/02/2021,{i % 3},a\n" for i in range(20))
            + "?,13/02/2021,NA,b\n-,,n/a,b\n")
    df = load_table(io.BytesIO(text.encode()))
    assert pd.api.types.is_float_dtype(df["x"]) and df["x"].isna().sum() == 2
    assert pd.api.types.is_datetime64_any_dtype(df["when"])  # day-first recognised
    assert df["when"].iloc[0] == pd.Timestamp("2021-02-01") and df["when"].isna().sum() == 1
    assert pd.api.types.is_numeric_dtype(df["code"]) and df["code"].isna().sum() == 2


def test_excel_with_mixed_cells_and_blank_rows(tmp_path):
    path = tmp_path / "book.xlsx"
    rows = pd.DataFrame({"a": [1, 2, "n/a", 4] * 6, "b": ["x", "y", "z", "w"] * 6})
    rows.to_excel(path, index=False)
    df = load_table(path)
    assert pd.api.types.is_numeric_dtype(df["a"]) and df["a"].isna().sum() == 6


# --- bad inputs --------------------------------------------------------------------------------

def assert_one_sentence(message):
    assert message and "\n" not in message and "Traceback" not in message
    assert not any(word in message for word in ("Error", "Exception", "errno"))
    assert message.rstrip(".").count(". ") == 0 and message.endswith(".")


def mixed_csv():
    return ("age,y\n" + "".join(f"{i},a\n" for i in range(30)) + "unknown,b\ntwelve,b\n").encode()


def date_csv():
    return ("signup,y\n" + "".join(f"2021-03-{d:02d},a\n" for d in range(1, 29))
            + "2021-02-30,b\n").encode()


BAD_INPUTS = {
    "empty": (b"", "empty"),
    "blank lines": (b"\n \n\n", "empty"),
    "header only": (b"a,b,c\n", "no data rows"),
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
    "random bytes": (np.random.default_rng(0).bytes(4096), "not a text table"),
    "single column": (b"x\n1\n2\n3\n", "only one column"),
    "duplicate names": (b"a,b,a\n1,2,3\n4,5,6\n", "'a' appears more than once"),
    "duplicate after strip": (b"a,b, a\n1,2,3\n4,5,6\n", "'a' appears more than once"),
    "no header row": (b"0,0,5,13,0\n0,1,0,12,1\n0,0,3,15,0\n", "seems to have no header row"),
    "infinite": (b"a,b\n1,x\ninf,y\n-inf,z\n", "'a' contains 2 infinite"),
    "mixed types": (mixed_csv(), "'age' mixes numbers with text such as 'unknown'"),
    "bad date": (date_csv(), "'signup' holds dates but 1 value(s) cannot be read as a date, "
                             "such as '2021-02-30'"),
    "ragged": (b"a,b\n1,2\n3,4,5\n", "Line 3 has 3 fields"),
    "unclosed quote": (b'a,b\n1,"2\n3,4\n', "never closed"),
    "json": (b'[{"a": 1}]', "JSON"),
    "old excel": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), ".xls"),
    "zip not excel": (b"PK\x03\x04" + bytes(200), "not a readable Excel workbook"),
    "broken parquet": (b"PAR1" + bytes(200), "Parquet"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_raises_one_sentence(case):
    data, fragment = BAD_INPUTS[case]
    with pytest.raises(DataError) as info:
        load_table(FakeUploadedFile(data, "upload.csv"))
    assert fragment in str(info.value)
    assert_one_sentence(str(info.value))


def test_missing_path_and_duplicate_names_in_other_formats(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_table(tmp_path / "nope.csv")
    ws_path = tmp_path / "dup.xlsx"
    pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"]).to_excel(ws_path, index=False)
    with pytest.raises(DataError, match="'a' appears more than once"):
        load_table(ws_path)


def test_na_markers_are_not_mixed_types():
    text = "age,y\n" + "".join(f"{i},a\n" for i in range(30)) + "NA,b\n?,b\n,b\nnull,b\n"
    df = load_table(io.BytesIO(text.encode()))
    assert pd.api.types.is_numeric_dtype(df["age"]) and df["age"].isna().sum() == 4


def test_plus_minus_target_is_two_classes_and_markers_are_reported(tmp_path):
    """'-' is a label beside '+', missing in a numeric column; '?' among words is missing; 'none' among words is a
    value."""
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({
        "amount": rng.normal(size=n).round(2).astype(str),
        "kind": rng.choice(["own", "rent", "?"], n),
        "extras": rng.choice(["none", "some", "lots"], n),
        "class": rng.choice(["+", "-"], n),
    })
    frame.loc[:4, "amount"] = "-"
    frame.loc[5:6, "amount"] = "."
    frame.to_csv(tmp_path / "credit.csv", index=False)
    table = load_table(tmp_path / "credit.csv")
    assert sorted(table["class"].unique()) == ["+", "-"]
    assert table["extras"].isna().sum() == 0 and "none" in set(table["extras"])
    assert pd.api.types.is_numeric_dtype(table["amount"]) and table["amount"].isna().sum() == 7
    assert table["kind"].isna().sum() == (frame["kind"] == "?").sum()
    for source in (table, frame):  # from load_table, or a raw frame handed to prepare_data
        data = prepare_data(source, "class")
        assert data.task == "binary"
        check = data.report.get("missing_markers")
        assert check.status == "fixed" and set(check.columns) == {"amount", "kind"}
        assert "'-', '.' in 'amount'" in check.message and "'?' in 'kind'" in check.message


def test_context_markers_in_a_column_of_symbols_only_are_missing():
    text = "x,y\n" + "".join(f"{i},{'a' if i % 2 else 'b'}\n" for i in range(30)) + "1,-\n2,?\n"
    assert load_table(io.BytesIO(text.encode()))["y"].isna().sum() == 2


def test_mostly_text_column_with_some_numbers_is_text():
    text = "kind,y\n" + "".join(f"{w},a\n" for w in ["cat", "dog", "bird"] * 10) + "7,b\n"
    assert load_table(io.BytesIO(text.encode()))["kind"].tolist()[-1] == "7"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_frame_or_data_error(data):
    try:
        assert isinstance(load_table(io.BytesIO(data)), pd.DataFrame)
    except DataError as exc:
        assert str(exc)


cells = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                  st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
                  st.sampled_from(["NA", "?", "", "yes", "2021-01-02", "1,5", '"q"', "inf"]))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4), st.integers(0, 8), st.data(),
       st.sampled_from([",", ";", "\t", "|"]), st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]))
def test_random_frames_as_csv_give_a_frame_or_data_error(n_cols, n_rows, data, sep, encoding):
    names = data.draw(st.lists(st.text(min_size=0, max_size=6), min_size=n_cols,
                               max_size=n_cols))
    rows = [[data.draw(cells) for _ in range(n_cols)] for _ in range(n_rows)]
    df = pd.DataFrame(rows, columns=names)
    raw = df.to_csv(index=False, sep=sep).encode(encoding, errors="replace")
    try:
        assert isinstance(load_table(io.BytesIO(raw)), pd.DataFrame)
    except DataError as exc:
        assert str(exc)


# --- large input ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.csv"
    n = 100_000
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(n, 5)).round(3), columns=list("vwxyz"))
    df.insert(0, "row", np.arange(n))
    df["c"] = rng.choice(list("abc"), n)
    df.to_csv(path, index=False)
    return path, n


def peak_memory(fn):
    """Peak memory traced while ``fn()`` runs (Python and NumPy allocations)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_large_csv_is_streamed_and_sampled(big_csv, monkeypatch):
    path, n = big_csv
    monkeypatch.setattr(_readers, "CHUNK_BYTES", 50_000)  # many small chunks
    chunks = []
    real = _readers.reservoir

    def spy(frames, k, seed):
        def counted():
            for f in frames:
                chunks.append(len(f))
                yield f
        return real(counted(), k, seed)

    full_peak = peak_memory(lambda: load_table(path))  # small enough to load whole
    assert not chunks
    monkeypatch.setattr(_readers, "reservoir", spy)
    result = []
    streamed_peak = peak_memory(lambda: result.append(
        load_table(path, max_rows=500, max_bytes=100_000)))
    df = result[0]
    assert len(df) == 500 and df.attrs["sampled_from"] == n
    assert len(chunks) > 10 and max(chunks) < n / 10 and sum(chunks) == n
    assert streamed_peak < full_peak / 2  # never the whole table in memory
    assert df["row"].is_monotonic_increasing  # file order kept
    assert abs(df["row"].mean() - n / 2) < n * 0.05  # spread over the whole file
    again = load_table(path, max_rows=500, max_bytes=100_000)
    pd.testing.assert_frame_equal(df, again)  # seeded


def test_many_rows_small_file_sampled_to_max_rows(big_csv):
    path, n = big_csv
    df = load_table(path, max_rows=1000)
    assert len(df) == 1000 and df.attrs["sampled_from"] == n
    assert df["row"].is_monotonic_increasing


def test_large_parquet_read_by_batches(tmp_path):
    n = 30_000
    path = tmp_path / "big.parquet"
    pd.DataFrame({"row": np.arange(n), "v": np.arange(n) % 7}).to_parquet(path,
                                                                          row_group_size=5000)
    df = load_table(path, max_rows=800)
    assert len(df) == 800 and df.attrs["sampled_from"] == n
    assert df["row"].is_monotonic_increasing and list(df.columns) == ["row", "v"]


def test_reservoir_is_uniform():
    frames = (pd.DataFrame({"i": np.arange(s, s + 1000)}) for s in range(0, 100_000, 1000))
    sample, n_seen = _readers.reservoir(frames, 2000, seed=3)
    assert n_seen == 100_000 and len(sample) == 2000 and sample["i"].is_unique
    counts = np.histogram(sample["i"], bins=10, range=(0, 100_000))[0]
    assert counts.min() > 150 and counts.max() < 250  # about 200 per decile


# --- column typing -------------------------------------------------------------------------------

def typing_frame(n=60):
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]
    return pd.DataFrame({
        "customer_id": np.arange(1000, 1000 + n),
        "PassengerId": rng.permutation(n),
        "counter": np.arange(n)[::-1] * 3,
        "price": rng.normal(size=n),
        "indicator": rng.integers(0, 2, n),
        "flag": pd.Series(rng.choice([True, False], n)),
        "answer": rng.choice(["Yes", "No"], n),
        "sex": rng.choice(["male", "female"], n),
        "colour": rng.choice(["red", "green", "blue"], n),
        "town": [f"town{i % 40}" for i in range(n)],
        "review": [" ".join(rng.choice(words, 6)) + f" {i}" for i in range(n)],
        "sku": [f"SKU-{i:05d}" for i in rng.permutation(n)],
        "when": pd.date_range("2021-01-01", periods=n, freq="D"),
        "when_text": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "numbers_as_text": [str(i % 7) for i in range(n)],
        "const": "same",
        "empty": np.nan,
        "present_or_missing": ["x" if i % 3 else None for i in range(n)],
    })


EXPECTED_KINDS = {
    "customer_id": ID_LIKE, "PassengerId": ID_LIKE, "counter": ID_LIKE, "price": NUMERIC,
    "indicator": NUMERIC, "flag": BOOLEAN, "answer": BOOLEAN, "sex": CATEGORICAL,
    "colour": CATEGORICAL, "town": HIGH_CARDINALITY, "review": TEXT, "sku": ID_LIKE,
    "when": DATETIME, "when_text": DATETIME, "numbers_as_text": NUMERIC, "const": CONSTANT,
    "empty": CONSTANT, "present_or_missing": CATEGORICAL,
}


def test_infer_column_types():
    infos = infer_column_types(typing_frame())
    assert {name: info.kind for name, info in infos.items()} == EXPECTED_KINDS
    colour = infos["colour"]
    assert isinstance(colour, ColumnInfo)
    assert colour.reason == "text with 3 distinct values → categorical"
    assert colour.n_distinct == 3 and colour.n_missing == 0
    assert infos["present_or_missing"].n_missing == 20
    with pytest.raises(AttributeError):
        colour.kind = "numeric"  # frozen


def test_target_is_never_id():
    df = typing_frame()
    assert infer_column_types(df, target="customer_id")["customer_id"].kind == NUMERIC


def test_r_row_names_of_a_sampled_table_are_an_id():
    """R's write.csv and Rdatasets name the row names column ``rownames``: after sampling rows (or any shuffle)
    its whole numbers are neither in order nor named like ``id``, and used to be kept as a number."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"rownames": rng.choice(300_000, 200, replace=False) + 1, "x": rng.normal(size=200)})
    infos = infer_column_types(df)
    assert infos["rownames"].kind == ID_LIKE and infos["x"].kind == NUMERIC


def test_unique_floats_are_numeric_not_id():
    df = pd.DataFrame({"x": np.linspace(0, 1, 50)})
    assert infer_column_types(df)["x"].kind == NUMERIC


@pytest.mark.parametrize("values, task", [
    (["a", "b"] * 20, "binary"),
    ([True, False] * 20, "binary"),
    ([0, 1] * 20, "binary"),
    (["a", "b", "c"] * 20, "multiclass"),
    ([1, 2, 3, 4] * 20, "multiclass"),
    ([1.0, 2.0, 3.0] * 20, "multiclass"),
    (list(np.linspace(0, 10, 60)), "regression"),
    (list(range(100)), "regression"),
    ([1, 2, 3, 4, 5, 6, 7, 8] * 3, "regression"),  # too few rows per value for classes
])
def test_detect_task(values, task):
    assert detect_task(pd.Series(values, name="y")) == task


def test_detect_task_refuses_constant_and_dates():
    with pytest.raises(DataError, match="fewer than two distinct values"):
        detect_task(pd.Series([1, 1, None], name="y"))
    with pytest.raises(DataError, match="dates"):
        detect_task(pd.Series(pd.date_range("2020-01-01", periods=30), name="y"))


# --- prepare_data --------------------------------------------------------------------------------

def classification_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "id": np.arange(n),
        "x": x,
        "colour": rng.choice(["red", "green", "blue"], n),
        "day": pd.date_range("2021-01-01", periods=n).strftime("%Y-%m-%d"),
        "const": 1,
        "y": np.where(x + rng.normal(size=n) > 0, "good", "bad"),
    })


def test_prepare_data_classification():
    data = prepare_data(classification_frame(), "y")
    assert isinstance(data, PreparedData)
    assert data.task == "binary" and data.target == "y"
    assert list(data.X.columns) == ["x", "colour", "day"]
    assert data.column_types == {"x": NUMERIC, "colour": CATEGORICAL, "day": DATETIME}
    assert set(data.columns) == {"id", "x", "colour", "day", "const", "y"}
    assert data.columns["id"].kind == ID_LIKE and data.columns["const"].kind == CONSTANT
    assert set(data.y.unique()) == {"good", "bad"} and data.y.name == "y"
    assert pd.api.types.is_datetime64_any_dtype(data.X["day"])
    assert data.n_rows_original == 200 and data.report.n_rows_used == 200


def test_prepare_data_regression_exclude_and_task_override():
    df = classification_frame()
    df["target"] = df["x"] * 3 + np.random.default_rng(2).normal(size=len(df))
    data = prepare_data(df, "target", exclude=["y", "x"])
    assert data.task == "regression" and "y" not in data.X and "x" not in data.X
    assert data.y.dtype == float
    data = prepare_data(df, "y", task="classification")
    assert data.task == "binary"
    with pytest.raises(DataError, match="numeric target"):
        prepare_data(df, "y", task="regression")
    with pytest.raises(DataError, match="binary but the target 'colour' has 3 classes"):
        prepare_data(df, "colour", task="binary")


def test_prepare_data_float_labels_become_integers():
    df = classification_frame()
    df["label"] = np.where(df["x"] > 0, 1.0, 0.0)
    df.loc[0, "label"] = np.nan
    data = prepare_data(df, "label")
    assert data.task == "binary" and data.y.dtype == "int64" and len(data.y) == 199


@pytest.mark.parametrize("target, fragment", [
    ("nope", "'nope' is not in the table; choose one of 'id', 'x'"),
    ("Y", "did you mean 'y'"),
    ("const", "same value ('1') in every row"),
    ("empty", "has no values"),
])
def test_prepare_data_target_errors(target, fragment):
    df = classification_frame()
    df["empty"] = np.nan
    with pytest.raises(DataError) as info:
        prepare_data(df, target)
    assert fragment in str(info.value)
    assert_one_sentence(str(info.value))


def test_prepare_data_single_class_after_rare_drop_and_too_few_rows():
    df = classification_frame()
    df["y"] = ["common"] * 197 + ["rare1", "rare2", "rare2"]
    with pytest.raises(DataError, match="Fewer than two classes"):
        prepare_data(df, "y")
    with pytest.raises(DataError, match="Only 15 usable rows"):
        prepare_data(classification_frame(n=15), "y")
    with pytest.raises(DataError, match="excluded column 'zzz'"):
        prepare_data(classification_frame(), "y", exclude=["zzz"])
    with pytest.raises(DataError, match="No usable feature column"):
        prepare_data(classification_frame()[["id", "const", "y"]], "y")


def test_prepare_data_drops_rare_classes_and_redetects_task():
    df = classification_frame()
    df.loc[:2, "y"] = "rare"
    data = prepare_data(df, "y")
    assert "rare" not in set(data.y) and len(data.y) == 197 and data.task == "binary"
    assert data.report.get("rare_classes").status == "fixed"


def test_prepare_data_sub_samples_stratified():
    df = classification_frame(n=3000)
    df.loc[:59, "y"] = "small"  # 2 % of the rows
    data = prepare_data(df, "y", max_rows=500)
    assert len(data.X) == 500 and len(data.y) == 500 and data.n_rows_original == 3000
    assert (data.y == "small").sum() == 10  # the class share is kept
    check = data.report.get("sub_sampling")
    assert check.status == "fixed" and "stratified" in check.action


def test_prepare_data_keeps_load_table_sample_count(big_csv):
    path, n = big_csv
    df = load_table(path, max_rows=300)
    data = prepare_data(df, "c")
    assert data.n_rows_original == n and data.report.get("sub_sampling").status == "fixed"


def test_samples_load_and_prepare():
    samples = sample_datasets()
    assert set(samples) == {"wine", "diabetes"}
    tasks = {}
    for name, (path, target) in samples.items():
        assert path.exists() and path.stat().st_size < 200_000
        data = prepare_data(load_table(path), target)
        tasks[name] = data.task
        assert data.report.status_counts()["alert"] == 0
    assert tasks == {"wine": "multiclass", "diabetes": "regression"}


def test_a_target_mixing_numbers_and_words_is_a_set_of_classes():
    frame = pd.DataFrame({"x": np.arange(100) % 7 * 1.5,
                          "grade": [str(9 + i % 4) if i % 5 else "other" for i in range(100)]})
    prepared = prepare_data(frame, "grade")
    assert prepared.task == "multiclass"
    assert set(prepared.y) == {"9", "10", "11", "12", "other"}


def test_a_lone_dot_is_a_missing_value_not_text():
    frame = pd.DataFrame({"v": ["1.5", ".", "2", "3"] * 10, "y": [0, 1] * 20})
    cleaned = clean_table(frame)
    assert pd.api.types.is_numeric_dtype(cleaned["v"]) and cleaned["v"].isna().sum() == 10


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_number_columns_typed_as_a_block_get_what_the_column_rules_give(seed):
    """Wide tables type their NumPy number columns in array passes; every kind, reason and count must
    equal the column-by-column rules (constants, one value plus gaps, 0/1, ids, -0.0, huge integers)."""
    from automl_engine.data.column_inference import _column_info

    rng = np.random.default_rng(seed)
    n = 60
    gaps = rng.random(n) < 0.3
    df = pd.DataFrame({
        "f": rng.normal(size=n), "with_gaps": np.where(gaps, np.nan, rng.normal(size=n)),
        "constant": np.ones(n), "empty": np.full(n, np.nan), "one_value_or_gap": np.where(gaps, np.nan, 2.0),
        "zero_one": rng.integers(0, 2, n).astype(float), "zero_one_int": rng.integers(0, 2, n),
        "small_ints": rng.integers(0, 5, n), "in_order": np.arange(n), "customer_id": rng.permutation(n),
        "shuffled_ints": rng.permutation(n), "uint8": rng.integers(0, 3, n).astype(np.uint8),
        "float32": rng.normal(size=n).astype(np.float32), "whole_floats": rng.integers(0, 9, n).astype(float),
        "signed_zeros": np.where(rng.random(n) < 0.5, -0.0, 0.0), "huge": 2**60 + rng.integers(0, 3, n),
        "flag": rng.random(n) < 0.5, "word": rng.choice(["a", "b"], n), "target": rng.permutation(n),
    })
    typed = infer_column_types(df, "target")
    assert typed == {c: _column_info(c, df[c], c == "target") for c in df.columns}
    assert typed["huge"].n_distinct == len(set(df["huge"]))  # not merged by a float conversion
