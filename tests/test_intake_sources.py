"""Tables that reach the reader wrapped: compressed (gzip, bzip2, xz) and with comment lines above the header
(automl_engine/data/compressed.py, automl_engine/data/preamble.py)."""
import io

import pandas as pd
import pytest
from test_intake import FakeUploadedFile, assert_one_sentence

from automl_engine.data.intake import load_table
from automl_engine.errors import DataError


@pytest.mark.parametrize("compression, suffix", [("gzip", ".gz"), ("bz2", ".bz2"), ("xz", ".xz")])
def test_a_compressed_csv_is_read_as_the_table_it_holds(tmp_path, compression, suffix):
    frame = pd.DataFrame({"id": range(3000), "city": ["Oslo", "Lima", "Pune"] * 1000,
                          "y": ["+", "-", "+"] * 1000})
    plain, packed = tmp_path / "t.csv", tmp_path / f"t.csv{suffix}"
    frame.to_csv(plain, index=False)
    frame.to_csv(packed, index=False, compression=compression)
    pd.testing.assert_frame_equal(load_table(packed), load_table(plain))
    uploaded = load_table(FakeUploadedFile(packed.read_bytes(), f"t.csv{suffix}"))    # as the app hands it over
    pd.testing.assert_frame_equal(uploaded, load_table(plain))
    sampled = load_table(packed, max_rows=500, max_bytes=10_000)                       # streamed in chunks
    assert len(sampled) == 500 and sampled.attrs["sampled_from"] == 3000


def test_a_damaged_or_inflating_compressed_file_is_refused_in_one_sentence(tmp_path, monkeypatch):
    import gzip

    from automl_engine.data import compressed

    packed = gzip.compress(("a,b\n" + "1,2\n" * 50_000).encode())
    with pytest.raises(DataError, match="could not be decompressed") as info:
        load_table(FakeUploadedFile(packed[: len(packed) // 2], "cut.csv.gz"))
    assert_one_sentence(str(info.value))
    monkeypatch.setattr(compressed, "MIN_INFLATED_LIMIT", 100_000)   # 400 kB of rows from 1 kB: a small bomb
    with pytest.raises(DataError, match="inflates to more than 200 times its size") as info:
        load_table(FakeUploadedFile(packed, "bomb.csv.gz"))
    assert_one_sentence(str(info.value))
    parquet = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_parquet(parquet)
    with pytest.raises(DataError, match="holds a Parquet or Excel file"):
        load_table(FakeUploadedFile(gzip.compress(parquet.read_bytes()), "t.parquet.gz"))


def test_comment_lines_above_the_header_are_skipped_and_counted_in_line_numbers(tmp_path):
    """Downloaded tables often start with '# Data source: ...' lines (seen: matplotlib's Stocks.csv was read as
    one column named after its comment and refused)."""
    rows = "".join(f"2024-01-{d:02d},{10 + d},{d % 3}\n" for d in range(1, 29))
    text = "# Data source: https://example.org, daily\n#\n# prices in USD\ndate,price,volume\n" + rows
    path = tmp_path / "prices.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())                                  # with a BOM too
    frame = load_table(path)
    assert list(frame.columns) == ["date", "price", "volume"] and len(frame) == 28
    assert frame["price"].iloc[0] == 11
    sampled = load_table(path, max_rows=10, max_bytes=300)                              # streamed in chunks
    assert list(sampled.columns) == ["date", "price", "volume"] and sampled.attrs["sampled_from"] == 28
    with pytest.raises(DataError, match="Line 6 has 4 fields") as info:                 # the file's own line 6
        load_table(io.BytesIO((text.replace("2024-01-02,12,2", "2024-01-02,12,2,9")).encode()))
    assert_one_sentence(str(info.value))
    named = load_table(io.BytesIO(b"#,name\n1,a\n2,b\n"))                               # a column named '#'
    assert list(named.columns) == ["#", "name"] and len(named) == 2
