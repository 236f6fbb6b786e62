"""No silent corruption of a table (issue 23, item 1): each case reads right or raises one sentence."""
import io
import re
import zipfile

import openpyxl
import pytest

from automl_engine import DataError, load_table


def xlsx_with_dimension(ref, n=500):
    """A workbook of ``n`` data rows whose ``<dimension>`` tag says ``ref`` (as some exporters write)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["x1", "x2", "y"])
    for i in range(n):
        ws.append([i, i * 2.5, f"c{i % 3}"])
    buffer = io.BytesIO()
    wb.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n_subs = re.subn(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(), data)
                assert n_subs == 1
            z.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("ref", ["A1:C9", "A1:A9", "A1"])
def test_an_xlsx_whose_dimension_tag_understates_its_size_is_read_whole(ref):
    df = load_table(io.BytesIO(xlsx_with_dimension(ref)))
    assert df.shape == (500, 3)
    assert df.iloc[-1].tolist() == [499, 1247.5, "c1"]


def csv_bytes(lines):
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_data_lines_ending_with_a_delimiter_do_not_shift_the_columns(sep):
    lines = [sep.join(["x1", "x2", "y"])] + [sep.join([str(i), str(2 * i), f"c{i % 2}", ""]) for i in range(30)]
    df = load_table(io.BytesIO(csv_bytes(lines)))
    assert list(df.columns) == ["x1", "x2", "y"]
    assert df["x1"].tolist() == list(range(30)) and df["x2"].tolist() == [2 * i for i in range(30)]
    assert df["y"].tolist() == [f"c{i % 2}" for i in range(30)]


def test_a_value_after_a_trailing_delimiter_is_refused_with_its_row():
    lines = ["a,b,c"] + [f"{i},{i},{i}," for i in range(10)] + ["1,2,3,4"]
    with pytest.raises(DataError, match=r"^Data row 11 has a value \('4'\) after the last column"):
        load_table(io.BytesIO(csv_bytes(lines)))


def test_a_first_data_line_longer_than_the_header_is_refused_not_made_an_index():
    lines = ["a,b,c", ",".join(["1"] * 100_000)] + [f"{i},{i},{i}" for i in range(50)]
    with pytest.raises(DataError, match=r"^Line 2 has more than 10,000 fields but the header has 3; "):
        load_table(io.BytesIO(csv_bytes(lines)))
    lines = ["a,b,c", "", "1,2,3,4,5"] + [f"{i},{i},{i}" for i in range(50)]
    with pytest.raises(DataError, match=r"^Line 3 has 5 fields but the header has 3; "):
        load_table(io.BytesIO(csv_bytes(lines)))


def test_a_longer_line_further_down_names_the_header_count():
    lines = ["a,b,c"] + [f"{i},{i},{i}," for i in range(10)] + ["1,2,3,4,5"]
    with pytest.raises(DataError, match=r"^Line 12 has 5 fields but the header has 3; "):
        load_table(io.BytesIO(csv_bytes(lines)))


def test_a_header_longer_than_the_sniffed_head_is_read_whole():
    from automl_engine.data.readers import HEAD_BYTES, SNIFF_CHARS

    # A header over HEAD_BYTES whose name 'dup_0000…' straddled the sniffer's cut at SNIFF_CHARS, where it
    # was read as 'dup', the name of the first column: a false "appears more than once".
    names, length = ["dup"], 4
    while length < SNIFF_CHARS - 200:
        names.append(f"f{len(names):04d}_" + "p" * 90)
        length += len(names[-1]) + 1
    names.append("g" * (SNIFF_CHARS - 3 - length - 1))
    names.append("dup_" + "0" * 90)
    while sum(len(n) + 1 for n in names) <= HEAD_BYTES + 1000:
        names.append(f"h{len(names):04d}_" + "q" * 90)
    header = ",".join(names)
    assert header.index(",dup_") + 1 == SNIFF_CHARS - 3
    df = load_table(io.BytesIO(csv_bytes([header, ",".join("1" * len(names)), ",".join("2" * len(names))])))
    assert list(df.columns) == names and df.shape == (2, len(names))


def test_a_header_with_too_many_columns_is_refused_before_it_is_parsed():
    from automl_engine.data.readers import MAX_COLUMNS

    data = csv_bytes([",".join(["c"] * (MAX_COLUMNS + 5)), "1,2"])
    with pytest.raises(DataError, match=r"^The header has more than 100,000 columns"):
        load_table(io.BytesIO(data))


def test_a_quoted_first_value_spanning_lines_is_one_record():
    df = load_table(io.BytesIO(b'a,b,c\n"hello\nworld, yes",2,3\n4,5,6\n'))
    assert df["a"].tolist() == ["hello\nworld, yes", "4"] and df["c"].tolist() == [3, 6]


def test_numbers_with_thousands_separators_are_numbers_and_kept_as_features():
    from automl_engine.data.intake import prepare_data

    lines = ["amount,other,y"] + [f'"{i * 1234567.89 + 1000:,.2f}",{i % 3},{i % 2}' for i in range(30)]
    df = load_table(io.BytesIO(csv_bytes(lines)))
    assert df["amount"].dtype == float and df["amount"].tolist()[:2] == [1000.0, 1235567.89]
    assert "amount" in prepare_data(df, "y").X.columns  # was text, different in every row: dropped as an id
    european = load_table(io.BytesIO(csv_bytes(["a;b"] + [f"{i}.234.567,5;{i % 2}" for i in range(1, 30)])))
    assert european["a"].tolist()[:2] == [1234567.5, 2234567.5]


def test_thousands_separators_used_in_some_values_only_are_refused_with_a_sentence():
    lines = ["amount,y", '"1,234",0', "1234,1", '"5,600",0', "17,1"]
    with pytest.raises(DataError, match=r"^Column 'amount' holds numbers written with thousands separators"):
        load_table(io.BytesIO(csv_bytes(lines)))


@pytest.mark.parametrize("utf8_first", [True, False])
def test_a_file_that_is_utf8_in_one_part_and_latin1_in_the_other_has_one_spelling(utf8_first):
    utf8 = "".join(f"Zürich,{i % 2}\n" for i in range(20)).encode("utf-8")
    latin1 = "".join(f"Zürich,{i % 2}\n" for i in range(20)).encode("latin-1")
    body = utf8 + latin1 if utf8_first else latin1 + utf8
    for max_bytes in (200 * 1024**2, 300):  # read whole, and streamed in chunks
        df = load_table(io.BytesIO(b"city,y\n" + body), max_bytes=max_bytes)
        assert set(df["city"]) == {"Zürich"}


def test_a_windows_1252_file_still_reads_as_windows_1252():
    data = ("name,y\n" + "".join(f"Café “quoted” €{i},{i % 2}\n" for i in range(30))).encode("cp1252")
    assert load_table(io.BytesIO(data))["name"].iloc[1] == "Café “quoted” €1"
