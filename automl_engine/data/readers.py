"""Reading a table from bytes: source handling, format and delimiter sniffing, and readers.

Private helpers of :mod:`automl_engine.data.intake` (``load_table`` is the public entry point).
Every reader returns ``(frame, raw_names, n_rows_seen)``: the frame has positional or pandas
column labels, ``raw_names`` are the header names as written in the file, and ``n_rows_seen``
is how many data rows the file holds (more than ``len(frame)`` when rows were sampled).
Large inputs are streamed in chunks and reduced with a seeded uniform row sample, so memory
stays bounded by the sample plus one chunk.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from automl_engine.errors import DataError

logger = logging.getLogger(__name__)

HEAD_BYTES = 256 * 1024
SNIFF_CHARS = 64 * 1024
CHUNK_BYTES = 16 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
NA_MARKERS = frozenset({"", "na", "n/a", "nan", "-nan", "null", "missing", "#n/a", "#na", "#n/a n/a",
                        "<na>", "nat", "1.#ind", "-1.#ind", "1.#qnan", "-1.#qnan"})
"""Cell values that are missing in any column (compared after stripping spaces and lower-casing)."""
CONTEXT_NA_MARKERS = frozenset({".", "?", "-", "--", "none", "nil"})
"""Cell values that are missing or a value depending on their column (see ``_cleaning``): missing
in an otherwise numeric column, a label beside other symbols (``+`` / ``-``), and so on."""
_NA_VALUES = sorted({v for m in NA_MARKERS for v in (m, m.upper(), m.capitalize())})
_FORMATS_HINT = "a CSV, TSV, Excel (.xlsx) or Parquet file"
_BINARY_MAGIC = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"), (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) or Office file"),
    (b"SQLite format 3", "an SQLite database"),
)
MAX_COLUMNS = 100_000
"""Most columns a text table may have; a header or first data line with more is refused."""
MAX_LINE_BYTES = 16 * 1024 * 1024
"""Longest header line, and first data line, read to check them (a longer one is refused)."""
_TRAILING = "\x00trailing delimiter"
"""Label of the empty field after a trailing delimiter while it is read (then dropped)."""
_FIELDS_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_RE = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass
class Source:
    """Where the bytes come from: a display name, a size and a way to open them afresh."""

    name: str
    size: int
    open: Callable[[], contextlib.AbstractContextManager[BinaryIO]]
    lines_before: int = 0
    """Lines of the file above these bytes (comment lines skipped), added to the line numbers in messages."""

    @property
    def extension(self) -> str:
        return Path(self.name).suffix.lower() if self.name else ""


def open_source(source) -> Source:
    """Wrap a path, bytes or a file-like object (Streamlit UploadedFile, BytesIO) as a Source."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "was not found"
            raise DataError(f"The file '{path}' {what}; check the path and try again.")
        return Source(path.name, path.stat().st_size, lambda: open(path, "rb"))
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = ""
    elif hasattr(source, "getvalue"):
        data = source.getvalue()
        name = getattr(source, "name", "") or ""
    elif hasattr(source, "read"):
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)
        data = source.read()
        name = getattr(source, "name", "") or ""
    else:
        raise TypeError(f"load_table needs a path or a file-like object, got {type(source)!r}")
    if isinstance(data, str):
        data = data.encode("utf-8")
    name = os.path.basename(str(name))
    return Source(name, len(data), lambda: contextlib.nullcontext(io.BytesIO(data)))


def sniff_format(head: bytes) -> str:
    """``"parquet"``, ``"xlsx"`` or ``"text"`` from the first bytes; DataError for known binaries."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise DataError(f"The file is {what}, not a table; upload {_FORMATS_HINT}.")
    return "text"


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252, else Latin-1."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def decode_head(head: bytes, encoding: str, complete: bool) -> str:
    """Decode the first bytes; reject content that is clearly not text."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)
    n_control = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f\v")
                    or 0x7F <= ord(ch) < 0xA0)
    if "\x00" in text or n_control > 0.01 * len(text):
        raise DataError(f"The file holds binary data, not a text table; upload {_FORMATS_HINT}.")
    stripped = text[:256].lstrip().lower()
    if stripped.startswith(("<!doctype", "<html", "<?xml", "<svg", "<table", "<body", "<head")):
        raise DataError(f"The file is an HTML or XML document, not a table; upload {_FORMATS_HINT}.")
    if stripped.startswith(("{", "[")):
        raise DataError(f"The file looks like JSON, not a table; convert it to {_FORMATS_HINT}.")
    return text


def _records(text: str, delimiter: str, limit: int = 200) -> list[list[str]]:
    try:
        rows = list(itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter,
                                             skipinitialspace=True), limit))
    except csv.Error:
        return []
    return [r for r in rows if any(f.strip() for f in r)]


def sniff_delimiter(text: str, complete: bool, extension: str) -> tuple[str, list[str], str]:
    """Choose the delimiter from the content: consistent field counts, then the most fields.

    Returns
    -------
    delimiter, header, decimal
        The delimiter, the raw header fields (stripped) and the decimal mark ("." or ",").
    """
    cut = max(SNIFF_CHARS, text.find("\n") + 1)  # enough for ~200 records, and the header
    if cut < len(text):
        text, complete = text[:cut], False
    if not complete and "\n" in text:
        text = text[: text.rfind("\n")]  # drop a record cut off by the limit
    preferred = {".tsv": "\t", ".tab": "\t", ".csv": ",", ".psv": "|"}.get(extension)
    best, best_rows, best_score = ",", [], None
    for order, delim in enumerate(DELIMITERS):
        rows = _records(text, delim)
        if not rows:
            continue
        n = len(rows[0])
        consistency = sum(len(r) == n for r in rows) / len(rows)
        score = (n > 1, round(consistency, 1), n, delim == preferred, -order)
        if best_score is None or score > best_score:
            best, best_rows, best_score = delim, rows, score
    header = [f.strip() for f in best_rows[0]] if best_rows else []
    decimal = "."
    if best != ",":
        cells = [c.strip() for r in best_rows[1:] for c in r]
        if any(re.fullmatch(r"[+-]?\d+,\d+", c) for c in cells) and not any(
                re.fullmatch(r"[+-]?\d+\.\d+", c) for c in cells):
            decimal = ","
    return best, header, decimal


def check_header(names: Iterable) -> None:
    """DataError when a (non-blank) column name appears more than once."""
    seen, dups = set(), []
    for name in names:
        name = "" if name is None else str(name).strip()
        if name and name in seen and name not in dups:
            dups.append(name)
        seen.add(name)
    if dups:
        listed = ", ".join(f"'{d}'" for d in dups[:3])
        if all(_is_number(name) for name in seen if name):  # a first row of data, not names
            raise DataError(f"The first line holds only numbers, some repeated ({listed}), so the file seems to "
                            f"have no header row; add a first line naming the columns, such as x1,x2,...,target.")
        raise DataError(f"The column name {listed} appears more than once in the header; rename "
                        f"the duplicates so that every column name is unique.")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def reservoir(frames: Iterable[pd.DataFrame], k: int, seed: int) -> tuple[pd.DataFrame, int]:
    """A uniform random sample of at most ``k`` rows from a stream of frames, in file order.

    Each row gets a uniform random key and the ``k`` smallest keys are kept (bottom-k
    sampling); rows whose key is above the current k-th smallest are discarded as they
    arrive, so memory holds at most about ``2 k`` rows plus one chunk.

    Returns
    -------
    sample, n_seen
        The sampled rows (index reset) and the number of rows in the whole stream.
    """
    rng = np.random.default_rng(seed)
    pieces: list[tuple[pd.DataFrame, np.ndarray, np.ndarray]] = []
    n_seen, n_kept, tau = 0, 0, np.inf

    def compact(limit: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        frame = pd.concat([p[0] for p in pieces], ignore_index=True) if len(pieces) > 1 \
            else pieces[0][0].reset_index(drop=True)
        keys = np.concatenate([p[1] for p in pieces])
        pos = np.concatenate([p[2] for p in pieces])
        if len(keys) > limit:
            take = np.argpartition(keys, limit - 1)[:limit]
            frame, keys, pos = frame.iloc[take].reset_index(drop=True), keys[take], pos[take]
        return frame, keys, pos

    for frame in frames:
        m = len(frame)
        keys = rng.random(m)
        mask = keys < tau
        if mask.any():
            pieces.append((frame.iloc[np.flatnonzero(mask)], keys[mask],
                           np.arange(n_seen, n_seen + m)[mask]))
            n_kept += int(mask.sum())
        n_seen += m
        if n_kept > 2 * k:
            piece = compact(k)
            pieces, n_kept, tau = [piece], k, float(piece[1].max())
    if not pieces:
        return pd.DataFrame(), n_seen
    frame, _, pos = compact(k)
    return frame.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True), n_seen


@dataclass
class Record:
    """One record of delimited text as scanned by :func:`scan_record`."""

    n_fields: int
    end: int
    """Position after the record's last field (at its line break when complete)."""
    complete: bool
    """False when the text ended inside it, or a quote could not be followed, or it has over ``limit`` fields."""
    last_empty: bool = False


def scan_record(text: str, pos: int, delimiter: str, limit: int) -> Record:
    """Count the fields of the record starting at ``pos``, stopping after ``limit + 1`` fields.

    Quoted fields may hold the delimiter, quotes doubled and line breaks; nothing is copied, so the cost
    of a pathological line is bounded by ``limit``, not by its length.
    """
    field = re.compile(r'(?:"(?:[^"]|"")*"|[^"\r\n' + re.escape(delimiter) + r"])*")
    n = 0
    while True:
        m = field.match(text, pos)
        pos = m.end()
        n += 1
        last_empty = not m.group().strip().strip('"').strip()
        if n > limit or pos >= len(text):
            return Record(n, pos, False, last_empty)
        ch = text[pos]
        if ch == delimiter:
            pos += 1
            continue
        return Record(n, pos, ch in "\r\n", last_empty)


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _first_data_record(text: str, complete: bool, delimiter: str) -> tuple[Record, Record, int] | None:
    """The header record, the first data record and its line number; None when ``text`` is too short."""
    header = scan_record(text, 0, delimiter, MAX_COLUMNS)
    if header.n_fields > MAX_COLUMNS:
        raise DataError(f"The header has more than {MAX_COLUMNS:,} columns; select the columns you need "
                        f"(or transpose the table) and try again.")
    if not header.complete:
        return None if not complete and header.end >= len(text) else (header, Record(0, header.end, True), 0)
    blank = re.compile(r"(?:\r\n|\n|\r)(?:[ \t]*(?:\r\n|\n|\r))*")
    start = blank.match(text, header.end).end()
    if start >= len(text):
        return (header, Record(0, start, True), 0) if complete else None
    record = scan_record(text, start, delimiter, max(header.n_fields + 1, 10_000))  # bounded, exact when short
    if not record.complete and record.end >= len(text) and not complete:
        return None
    return header, record, _line_of(text, start)


def check_first_record(header: Record, record: Record, line: int, delimiter: str) -> bool:
    """Refuse a first data line with more fields than the header; True when its extra field is empty.

    pandas does not check the first data line: with one field more than the header it takes the
    first column as the row index (every column shifts), with many more it builds an index of
    them. One more field, empty, is a trailing delimiter (a common export), read and dropped.
    """
    if record.n_fields <= header.n_fields:
        return False
    if record.n_fields == header.n_fields + 1 and record.complete and record.last_empty:
        return True
    shown = {"\t": "tab"}.get(delimiter, delimiter)
    saw = f"{record.n_fields:,}" if record.complete else f"more than {record.n_fields - 1:,}"
    raise DataError(f"Line {line} has {saw} fields but the header has {header.n_fields:,}; quote values that "
                    f"contain the delimiter ({shown}) or fix that line.")


def _leading_text(src: Source, head: bytes, encoding: str, text: str, delimiter: str) -> tuple[str, bool]:
    """Enough of the file's start to hold the header and the first data line (up to MAX_LINE_BYTES each)."""
    size = len(head)
    complete = size >= src.size
    while _first_data_record(text, complete, delimiter) is None:
        if size >= 2 * MAX_LINE_BYTES:
            line = "header" if not scan_record(text, 0, delimiter, MAX_COLUMNS).complete else "first data line"
            raise DataError(f"The {line} is longer than {MAX_LINE_BYTES // 1024**2} MB; check that the file is "
                            f"a table with one record per line.")
        size = min(4 * size, 2 * MAX_LINE_BYTES)
        with src.open() as stream:
            head = stream.read(size)
        complete = len(head) >= src.size
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)
    return text, complete


def _parser_error(exc: Exception, delimiter: str, n_header: int | None = None, lines_before: int = 0) -> DataError:
    text = str(exc)
    if m := _FIELDS_RE.search(text):
        expected, line, saw = m.groups()
        line = int(line) + lines_before
        expected = n_header or expected
        shown = {"\t": "tab"}.get(delimiter, delimiter)
        return DataError(f"Line {line} has {saw} fields but the header has {expected}; quote "
                         f"values that contain the delimiter ({shown}) or fix that line.")
    if m := _EOF_RE.search(text):
        return DataError(f"A quoted value starting on line {int(m.group(1)) + 1 + lines_before} is never "
                         f"closed; check the quotation marks in that line.")
    logger.debug("CSV parser error: %s", text)
    return DataError("The file could not be read as a delimited table; save it as a UTF-8 CSV "
                     "with one header row and try again.")


def read_text(src: Source, head: bytes, max_rows: int, max_bytes: int,
              seed: int) -> tuple[pd.DataFrame, list[str], int]:
    """Read CSV/TSV/semicolon/pipe text, in chunks with row sampling when it is large."""
    complete = len(head) >= src.size
    encoding = detect_encoding(head)
    text = decode_head(head, encoding, complete)
    if encoding in ("cp1252", "latin-1"):  # as the table will be read: line by line
        text = PerLineUtf8(io.BytesIO(head)).read().decode("utf-8", errors="replace")
    if not text or text.isspace():
        raise DataError("The file is empty; upload a table with a header row and at least one "
                        "row of data.")
    if "\n" not in text.lstrip("\r\n") and not complete:  # a header longer than the head
        text, complete = _leading_text(src, head, encoding, text, ",")
    delimiter, header, decimal = sniff_delimiter(text, complete, src.extension)
    text, complete = _leading_text(src, head, encoding, text, delimiter)
    if len(text) > len(head):
        delimiter, header, decimal = sniff_delimiter(text, complete, src.extension)
    first = _first_data_record(text, complete, delimiter)
    check_header(header)
    header_record, first_record, line = first
    trailing = check_first_record(header_record, first_record, line + src.lines_before, delimiter)
    # index_col=False: pandas never takes a column as the row index (a longer first line is checked above)
    options = dict(sep=delimiter, decimal=decimal, na_values=_NA_VALUES, keep_default_na=False,
                   skipinitialspace=True, engine="c", on_bad_lines="error", index_col=False)
    if trailing:
        options["names"] = [h or f"Unnamed: {i}" for i, h in enumerate(header)] + [_TRAILING]
        options["header"] = 0
        options["dtype"] = {_TRAILING: "str"}
        logger.info("%s: data lines end with a delimiter; the empty last field is dropped", src.name or "input")
    chunked = src.size > max_bytes
    k = max_rows
    if chunked:
        bytes_per_row = max(len(head) / max(text.count("\n"), 1), 1.0)
        k = max(1, min(max_rows, int(max_bytes / bytes_per_row)))
        chunk_rows = max(1000, int(CHUNK_BYTES / bytes_per_row))
        logger.info("%s is %d bytes (> %d): reading in chunks of %d rows, sampling %d rows",
                    src.name or "input", src.size, max_bytes, chunk_rows, k)
    # Not UTF-8 throughout: each line is decoded on its own (see PerLineUtf8), never the whole file as one
    # single-byte encoding, which turned the UTF-8 lines of a mixed file into a second set of categories.
    attempts = [encoding, "per-line"] if encoding in ("utf-8", "utf-8-sig") else \
        ["per-line"] if encoding in ("cp1252", "latin-1") else [encoding]
    for enc in attempts:
        try:
            with src.open() as raw:
                stream = PerLineUtf8(raw) if enc == "per-line" else raw
                enc = "utf-8-sig" if enc == "per-line" else enc
                if chunked:
                    reader = pd.read_csv(stream, encoding=enc, chunksize=chunk_rows, **options)
                    with reader:
                        frame, n_seen = reservoir(_without_trailing(reader, trailing), k, seed)
                    if n_seen == 0:
                        frame = pd.DataFrame(columns=header)
                else:
                    frame = pd.read_csv(stream, encoding=enc, low_memory=False, **options)
                    frame = next(_without_trailing([frame], trailing))
                    n_seen = len(frame)
            if isinstance(stream, PerLineUtf8) and stream.n_lines_recoded:
                logger.info("%s: %d line(s) are not UTF-8 and were read as Windows-1252 / Latin-1 (%d UTF-8 "
                            "lines)", src.name or "input", stream.n_lines_recoded, stream.n_lines_utf8)
            return frame, header, n_seen
        except UnicodeDecodeError:
            continue
        except DataError:
            raise
        except pd.errors.EmptyDataError as exc:
            raise DataError("The file is empty; upload a table with a header row and at least "
                            "one row of data.") from exc
        except (pd.errors.ParserError, csv.Error, ValueError, OverflowError, TypeError) as exc:
            raise _parser_error(exc, delimiter, len(header), src.lines_before) from exc
    raise DataError("The file's text encoding could not be recognised; save it as UTF-8 and "
                    "try again.")


def _without_trailing(frames: Iterable[pd.DataFrame], trailing: bool) -> Iterator[pd.DataFrame]:
    """Drop the field after a trailing delimiter; DataError if a line holds a value there."""
    n_rows = 0
    for frame in frames:
        if trailing:
            extra = frame[_TRAILING]
            if extra.notna().any():
                row = n_rows + int(np.flatnonzero(extra.notna().to_numpy())[0]) + 1
                raise DataError(f"Data row {row} has a value ('{extra.dropna().iloc[0]}') after the last column, "
                                f"but the other lines end with an empty field; fix that row or the header.")
            frame = frame.drop(columns=[_TRAILING])
        n_rows += len(frame)
        yield frame


class PerLineUtf8(io.RawIOBase):
    """A byte stream re-encoded to UTF-8 line by line: each line is UTF-8 if it decodes as such, else
    Windows-1252, else Latin-1.

    A file that is UTF-8 in one part and Latin-1 in another (two exports appended) is read right in
    both parts; decoding the whole file in one single-byte encoding turned its UTF-8 ``Zürich`` into
    ``ZÃ¼rich``, a second category. ``n_lines_recoded`` counts the lines that were not UTF-8.
    """

    def __init__(self, raw: BinaryIO):
        self._raw, self._buffer, self.n_lines_recoded, self.n_lines_utf8 = raw, bytearray(), 0, 0

    def readable(self) -> bool:
        return True

    def _line(self, line: bytes) -> bytes:
        if line.isascii():
            return line
        try:
            line.decode("utf-8")
            self.n_lines_utf8 += 1
            return line
        except UnicodeDecodeError:
            self.n_lines_recoded += 1
        try:
            return line.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError:
            return line.decode("latin-1").encode("utf-8")

    def readinto(self, target) -> int:
        while len(self._buffer) < len(target):
            line = self._raw.readline(CHUNK_BYTES)
            if not line:
                break
            self._buffer += self._line(line)
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        del self._buffer[:n]
        return n


def _parquet_frame(batch) -> pd.DataFrame:
    frame = batch.to_pandas()
    named = [n for n in frame.index.names if n is not None]
    return frame.reset_index(drop=not named)


def read_parquet(src: Source, max_rows: int, max_bytes: int,
                 seed: int) -> tuple[pd.DataFrame, list[str], int]:
    """Read a Parquet file, by record batches with row sampling when it is large."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with src.open() as stream:
        try:
            pf = pq.ParquetFile(stream)
            schema = pf.schema_arrow
            n = pf.metadata.num_rows
        except (pa.ArrowException, OSError, ValueError) as exc:
            logger.debug("parquet error: %s", exc)
            raise DataError("The file starts like a Parquet file but could not be read; it may "
                            "be truncated or damaged, so export it again.") from exc
        names = [f.name for f in schema if not re.fullmatch(r"__index_level_\d+__", f.name)]
        check_header(names)
        nested = [f.name for f in schema if pa.types.is_nested(f.type)]
        if nested:
            raise DataError(f"Column '{nested[0]}' holds nested lists or structures; flatten it "
                            f"into plain columns before loading.")
        # the size once read, not only the file's: a column of one repeated value compresses (or encodes as a
        # dictionary) a thousandfold; at least 8 bytes a cell, at least what the row groups declare uncompressed
        size = max(src.size, n * len(schema) * 8,
                   sum(pf.metadata.row_group(i).total_byte_size for i in range(pf.num_row_groups)))
        k = max_rows
        if size > max_bytes:
            k = max(1, min(max_rows, int(n * max_bytes / size)))
        batch_rows = max(1, min(65536, int(CHUNK_BYTES * n / size)))
        try:
            if n <= k:
                frame = _parquet_frame(pf.read())
                return frame, list(frame.columns), n
            batches = (_parquet_frame(b) for b in pf.iter_batches(batch_size=batch_rows))
            frame, n_seen = reservoir(batches, k, seed)
        except (pa.ArrowException, OSError, ValueError) as exc:
            logger.debug("parquet error: %s", exc)
            raise DataError("The Parquet file could not be read; it may be damaged or use an "
                            "unsupported type, so export it again.") from exc
    return frame, list(frame.columns), n_seen
