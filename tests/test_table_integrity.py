"""No silent corruption of a table (issue 23, item 1): each case reads right or raises one sentence."""
import io
import re
import zipfile

import openpyxl
import pytest

from automl_engine import load_table


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
