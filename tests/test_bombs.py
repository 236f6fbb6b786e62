"""Small hostile files (issue 23, item 2): refused with one sentence before they inflate, in bounded memory.

Each hostile file is built here, small on disk (deflated repeats); the memory tests load it in a fresh
process and read that process's peak RSS, which must stay under 1 GB (the engine's import is about 300 MB).
"""
import io
import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import openpyxl
import pytest
from model_zoo import fitted

from automl_engine import DataError, load_model, load_table
from automl_engine.data import zipguard
from automl_engine.model.skops_io import save_model

MiB = 1024**2
GB = 1000**3


def deflated_member(zf: zipfile.ZipFile, name: str, prefix: bytes, fill: bytes, size: int, suffix: bytes = b"") -> None:
    """Write member ``name``: ``prefix``, then whole repeats of ``fill``, then ``suffix``: about ``size`` bytes."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    block = fill * (MiB // len(fill))
    with zf.open(info, "w", force_zip64=True) as out:
        out.write(prefix)
        left = (size - len(prefix) - len(suffix)) // len(fill) * len(fill)
        while left > 0:
            piece = block[:left]
            out.write(piece)
            left -= len(piece)
        out.write(suffix)


def rewrite(data: bytes, name: str, edit=None, **member) -> bytes:
    """The zip ``data`` with member ``name`` replaced by a ``deflated_member``, the others kept (``edit``:
    {member: function of its bytes} changes some)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in source.infolist():
            if item.filename == name:
                deflated_member(z, name, **member)
            else:
                z.writestr(item, (edit or {}).get(item.filename, bytes)(source.read(item.filename)))
        if name not in source.namelist():
            deflated_member(z, name, **member)
    return out.getvalue()


def workbook(n: int = 20, extra: list | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["city", "value"])
    for i in range(n):
        ws.append([f"town{i % 4}", i])
    if extra:
        ws.append(extra)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def with_shared_strings(types: bytes, part: str = "/xl/sharedStrings.xml") -> bytes:
    """[Content_Types].xml naming ``part`` as the shared strings (openpyxl finds them by this entry)."""
    return types.replace(b"</Types>", b'<Override PartName="' + part.encode() + b'" ContentType="' + SST_TYPE
                         + b'"/></Types>')


def shared_strings_bomb(size: int, part: str = "xl/sharedStrings.xml") -> bytes:
    """A workbook whose shared strings inflate to ``size`` bytes (the issue's case: 4 GiB from 9 MB)."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    return rewrite(workbook(), part, edit={"[Content_Types].xml": lambda b: with_shared_strings(b, "/" + part)},
                   prefix=head, fill=b"<si><t>ab</t></si>", size=size, suffix=b"</sst>")


def sheet_bomb(size: int) -> bytes:
    """A workbook whose worksheet inflates to ``size`` bytes of identical rows."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData><row><c t="inlineStr"><is><t>x</t></is></c></row>')
    return rewrite(workbook(), "xl/worksheets/sheet1.xml", prefix=head, fill=b"<row><c><v>0</v></c></row>",
                   size=size, suffix=b"</sheetData></worksheet>")


def peak_rss(code: str, tmp_path) -> tuple[int, str]:
    """Run ``code`` in a fresh Python; (its peak RSS in bytes, its stdout)."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        import resource
        print("PEAK", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    peak = int(done.stdout.rsplit("PEAK", 1)[1])
    return peak, done.stdout


# -- workbooks -------------------------------------------------------------------------------------
def test_a_workbook_whose_shared_strings_inflate_to_a_gibibyte_is_refused_in_bounded_memory(tmp_path):
    bomb = shared_strings_bomb(1024 * MiB)
    assert len(bomb) < 10 * MiB
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    with pytest.raises(DataError, match=r"shared text would inflate to 1,024 MB .*export the sheet as CSV"):
        load_table(path)
    peak, out = peak_rss("""
        from automl_engine import DataError, load_table
        try:
            load_table("bomb.xlsx")
        except DataError as exc:
            print("REFUSED", exc)
    """, tmp_path)
    assert "REFUSED" in out
    assert peak < GB, f"peak RSS {peak / MiB:.0f} MB"


def test_shared_strings_under_the_limit_still_read():
    df = load_table(io.BytesIO(shared_strings_bomb(2 * MiB)))  # 100,000 unused strings: a real workbook's table
    assert df.shape == (20, 2) and sorted(df["city"].unique()) == ["town0", "town1", "town2", "town3"]


def test_a_worksheet_that_inflates_far_beyond_its_file_is_refused_before_it_is_parsed():
    bomb = sheet_bomb(512 * MiB)
    assert len(bomb) < 4 * MiB
    with pytest.raises(DataError, match=r"worksheet xl/worksheets/sheet1.xml would inflate to 512 MB"):
        load_table(io.BytesIO(bomb))


def test_a_styles_part_padded_past_its_limit_is_refused():
    bomb = rewrite(workbook(), "xl/styles.xml", prefix=b"<?xml version='1.0'?>", fill=b" ", size=64 * MiB)
    with pytest.raises(DataError, match=r"part xl/styles.xml would inflate to 64 MB"):
        load_table(io.BytesIO(bomb))


def test_a_worksheet_sample_holds_a_bounded_number_of_cells():
    df = load_table(io.BytesIO(workbook(n=3000)), max_bytes=100_000)
    width = 2 + 8  # the header's columns and XLSX_EXTRA_COLUMNS
    assert 0 < len(df) <= 100_000 // 32 // width
    assert df.attrs["sampled_from"] == 3000


def test_a_value_far_to_the_right_of_the_header_is_refused_naming_its_row():
    far = [None] * 70 + ["note"]
    with pytest.raises(DataError, match=r"Row 22 of the sheet has a value in column 71, far to the right of the "
                                        r"header's last column \(2\)"):
        load_table(io.BytesIO(workbook(n=20, extra=far)))
    near = [1, 2, 3, "unnamed but near"]
    assert load_table(io.BytesIO(workbook(n=20, extra=near))).shape[1] >= 3


def test_a_parquet_file_that_decodes_a_thousandfold_is_sampled_by_its_decoded_size(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 300_000
    path = tmp_path / "constant.parquet"
    pq.write_table(pa.table({"a": np.zeros(n, dtype="int64"), "b": np.ones(n), "y": np.arange(n) % 2}), path)
    assert path.stat().st_size < 100_000   # 7.2 MB of cells, dictionary- and run-length-encoded
    df = load_table(path, max_bytes=1_000_000)
    assert df.attrs["sampled_from"] == n and len(df) <= n * 1_000_000 // (n * 3 * 8) + 1


# -- model files -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.skops"
    save_model(fitted("binary", "logreg")[0], path)
    return path.read_bytes()


def largest_array(data: bytes) -> str:
    z = zipfile.ZipFile(io.BytesIO(data))
    return max((i for i in z.infolist() if i.filename.endswith(".npy")), key=lambda i: i.file_size).filename


def npy_header(shape, dtype="<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def test_a_model_with_an_array_of_zeros_inflating_to_a_gibibyte_is_refused_in_bounded_memory(model_file, tmp_path):
    n = 1024 * MiB // 8
    bomb = rewrite(model_file, largest_array(model_file), prefix=npy_header((n,)), fill=b"\0" * 4096,
                   size=len(npy_header((n,))) + n * 8)
    assert len(bomb) < 3 * MiB
    (tmp_path / "bomb.skops").write_bytes(bomb)
    with pytest.raises(DataError, match=r"members would inflate to more than 128 MB from a file of .*crafted"):
        load_model(tmp_path / "bomb.skops")
    with pytest.raises(DataError, match=r"members would inflate"):
        load_model(bomb)  # the app passes the uploaded bytes
    peak, out = peak_rss("""
        from automl_engine import DataError, load_model
        try:
            load_model("bomb.skops")
        except DataError as exc:
            print("REFUSED", exc)
    """, tmp_path)
    assert "REFUSED" in out
    assert peak < GB, f"peak RSS {peak / MiB:.0f} MB"


def test_a_schema_padded_past_its_limit_is_refused(model_file, tmp_path):
    schema = zipfile.ZipFile(io.BytesIO(model_file)).read("schema.json")
    bomb = rewrite(model_file, "schema.json", prefix=schema, fill=b" ", size=96 * MiB)
    with pytest.raises(DataError, match=r"its schema would inflate to 96 MB \(the limit is 64 MB\)"):
        load_model(bomb)


def test_a_schema_of_nested_empty_lists_is_refused_before_it_is_parsed(model_file):
    schema = json.loads(zipfile.ZipFile(io.BytesIO(model_file)).read("schema.json"))
    schema["padding"] = [[] for _ in range(zipguard.SKOPS_MAX_SCHEMA_NODES)]
    bomb = rewrite(model_file, "schema.json", prefix=json.dumps(schema).encode(), fill=b" ",
                   size=len(json.dumps(schema)))
    with pytest.raises(DataError, match=r"more than 2,000,000 objects and lists"):
        load_model(bomb)


def test_one_array_referred_to_many_times_counts_each_time(model_file):
    name = largest_array(model_file)
    size = zipfile.ZipFile(io.BytesIO(model_file)).getinfo(name).file_size
    schema = json.loads(zipfile.ZipFile(io.BytesIO(model_file)).read("schema.json"))
    copies = 128 * MiB // size + 1
    schema["padding"] = [{"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode",
                          "type": "numpy", "file": name}] * copies
    text = json.dumps(schema).encode()
    bomb = rewrite(model_file, "schema.json", prefix=text, fill=b" ", size=len(text))
    assert len(bomb) < 64 * MiB
    with pytest.raises(DataError, match=r"members would inflate to more than 128 MB"):
        load_model(bomb)


def test_an_array_whose_header_declares_more_than_it_holds_is_refused(model_file):
    header = npy_header((10**9,))
    bomb = rewrite(model_file, largest_array(model_file), prefix=header, fill=b"\0", size=len(header) + 800)
    with pytest.raises(DataError, match=r"declares 7,629 MB of data but holds"):
        load_model(bomb)


def test_a_real_model_file_still_loads_and_its_members_are_stored_uncompressed(model_file):
    z = zipfile.ZipFile(io.BytesIO(model_file))
    assert sum(i.file_size for i in z.infolist()) <= 1.01 * len(model_file)
    assert load_model(model_file).predict(fitted("binary", "logreg")[1]).shape == (120,)


def test_the_cli_refuses_a_model_bomb_with_exit_2_and_one_line(model_file, tmp_path):
    n = 256 * MiB // 8
    bomb = rewrite(model_file, largest_array(model_file), prefix=npy_header((n,)), fill=b"\0" * 4096,
                   size=len(npy_header((n,))) + n * 8)
    (tmp_path / "bomb.skops").write_bytes(bomb)
    (tmp_path / "in.csv").write_text("a,b\n1,2\n")
    done = subprocess.run([sys.executable, "-m", "automl_engine.cli", "predict", "bomb.skops", "in.csv"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: 'bomb.skops' was refused because its members would inflate")


def many_members(data: bytes, extra: int) -> bytes:
    """The zip ``data`` with ``extra`` empty members added (each costs zipfile a ZipInfo in memory)."""
    out = io.BytesIO(data)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as z:
        for i in range(extra):
            z.writestr(zipfile.ZipInfo(f"p/{i}", date_time=(2026, 1, 1, 0, 0, 0)), b"")
    return out.getvalue()


def test_archives_listing_too_many_members_are_refused_before_zipfile_reads_them(model_file, tmp_path, monkeypatch):
    too_many = zipguard.MAX_MEMBERS + 10
    book = many_members(workbook(), too_many)
    model = many_members(model_file, too_many)
    opened = []
    real = zipfile.ZipFile
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: opened.append(a) or real(*a, **k))
    with pytest.raises(DataError, match=r"The workbook is a zip archive listing [\d,]+ members \(at most 20,000"):
        load_table(io.BytesIO(book))
    (tmp_path / "many.skops").write_bytes(model)
    with pytest.raises(DataError, match=r"The model file .*many.skops.* listing [\d,]+ members"):
        load_model(tmp_path / "many.skops")
    with pytest.raises(DataError, match=r"listing [\d,]+ members"):
        load_model(model)
    assert opened == []                                         # refused from the end record alone
    monkeypatch.undo()
    assert load_table(io.BytesIO(many_members(workbook(), 50))).shape == (20, 2)   # a few extra parts are fine
    assert zipguard.declared_members(io.BytesIO(b"not a zip")) is None
    zip64 = many_members(workbook(), 70_000)                     # past 65,535 the count is in the zip64 record
    parts = len(zipfile.ZipFile(io.BytesIO(workbook())).infolist())
    assert zipguard.declared_members(io.BytesIO(zip64)) == 70_000 + parts
