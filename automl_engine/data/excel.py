"""Reading the first worksheet of an .xlsx workbook: streamed rows, a bounded sample, declared sizes checked first.

Private helper of :mod:`automl_engine.data.intake` (see :mod:`automl_engine.data.readers` for the other formats).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator

import pandas as pd

from automl_engine.data import readers
from automl_engine.data.readers import Source, check_header
from automl_engine.data.zipguard import check_member_count, check_xlsx
from automl_engine.errors import DataError

logger = logging.getLogger(__name__)

XLSX_EXTRA_COLUMNS = 8
"""Columns without a header a worksheet may have to the right of its header: this many, or as many as the header
has if more (a value further right is refused)."""
XLSX_CELL_BYTES = 32
"""Memory per cell of a worksheet's sample (an object pointer and a boxed value): the sample holds at most
``max_bytes / XLSX_CELL_BYTES`` cells."""

def _excel_batches(rows: Iterator[tuple], n_header: int, first: int, size: int = 10_000) -> Iterator[pd.DataFrame]:
    """The sheet's non-empty rows in frames of ``size``; DataError for a value beyond :func:`excel_width`."""
    batch, width = [], excel_width(n_header)
    for number, row in enumerate(rows, start=first):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        if len(row) > width:
            far = next((i for i, v in enumerate(row[width:], start=width + 1) if v is not None and str(v).strip()), 0)
            if far:
                raise DataError(f"Row {number} of the sheet has a value in column {far:,}, far to the right of the "
                                f"header's last column ({n_header:,}); give those columns a header or delete them.")
            row = row[:width]
        batch.append(row)
        if len(batch) == size:
            yield _rows_frame(batch)
            batch = []
    if batch:
        yield _rows_frame(batch)


def excel_width(n_header: int) -> int:
    """The most columns a worksheet row may fill: the header's, plus as many again (at least ``XLSX_EXTRA_COLUMNS``)."""
    return n_header + max(XLSX_EXTRA_COLUMNS, n_header)


def _rows_frame(batch: list[tuple]) -> pd.DataFrame:
    n = max(map(len, batch))
    return pd.DataFrame([row + (None,) * (n - len(row)) for row in batch])


def read_excel(src: Source, max_rows: int, max_bytes: int,
               seed: int) -> tuple[pd.DataFrame, list[str], int]:
    """Read the first worksheet of an .xlsx workbook, streaming rows with openpyxl."""
    import zipfile

    import openpyxl

    with src.open() as stream:
        try:
            check_member_count(stream, "The workbook")  # before zipfile reads the central directory
            with zipfile.ZipFile(stream) as archive:
                check_xlsx(archive, max_bytes)  # declared sizes, before any part is inflated
            stream.seek(0)
            wb = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except DataError:
            raise
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
            logger.debug("xlsx error: %s", exc)
            raise DataError("The file is a zip archive but not a readable Excel workbook; upload "
                            f"{readers._FORMATS_HINT}.") from exc
        try:
            if len(wb.worksheets) > 1:
                logger.info("workbook has %d sheets; reading the first", len(wb.worksheets))
            ws = wb.worksheets[0]
            declared_rows = ws.max_row  # from the sheet's <dimension> tag, which may understate it
            ws.reset_dimensions()  # read every row and cell the sheet holds, not the tag's extent
            rows = ws.iter_rows(values_only=True)
            header, header_row = None, 0
            for row in rows:
                header_row += 1
                if any(v is not None and str(v).strip() for v in row):
                    header = list(row)
                    break
            if header is None:
                raise DataError("The first worksheet of the workbook is empty; put the table "
                                "with a header row in the first sheet.")
            check_header(header)
            k = max_rows
            if src.size > max_bytes and declared_rows:
                k = max(1, min(max_rows, int(declared_rows * max_bytes / src.size)))
            k = max(1, min(k, max_bytes // XLSX_CELL_BYTES // excel_width(len(header))))  # cells, not only rows
            frame, n_seen = readers.reservoir(_excel_batches(rows, len(header), header_row + 1), k, seed)
        except DataError:
            raise
        except (ValueError, TypeError, KeyError, OSError) as exc:
            logger.debug("xlsx error: %s", exc)
            raise DataError("The Excel workbook could not be read; save it again as .xlsx or "
                            "export the sheet as CSV.") from exc
        finally:
            wb.close()
    width = max(len(header), frame.shape[1])
    names = [("" if h is None else str(h).strip()) for h in header] + [""] * (width - len(header))
    labels = [n if n else f"Unnamed: {i}" for i, n in enumerate(names)]
    frame = frame.reindex(columns=range(width))
    frame.columns = labels
    return frame, names, n_seen
