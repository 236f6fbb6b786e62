"""Refuse zip archives (xlsx workbooks, skops model files) whose members would inflate past a limit.

A zip member's size once inflated is declared in the archive's central directory (``ZipInfo.file_size``),
and Python's ``zipfile`` never returns more than that from a member (a member that inflates further fails
its CRC check). So checking the declared sizes, before any member is read, bounds what reading can cost:
a 9 MB workbook whose shared strings declare 4 GiB, or a 2.4 MB model file with a 2 GiB array of zeros,
is refused with one sentence instead of being inflated.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from xml.etree import ElementTree

import numpy as np

from automl_engine.errors import DataError

MiB = 1024**2

# -- workbooks -----------------------------------------------------------------------------------
XLSX_MAX_SHARED_STRINGS = 100 * MiB
"""Largest ``xl/sharedStrings.xml`` once inflated: openpyxl holds the whole table of strings in memory
(about 3 bytes of memory per byte of XML when the strings are short)."""
XLSX_MAX_PART = 16 * MiB
"""Largest other XML part read whole (styles, workbook, relationships, theme); real ones are kilobytes."""
XLSX_MAX_RATIO = 200
"""Largest inflated / compressed ratio of a worksheet above ``XLSX_RATIO_FLOOR`` (deflate reaches about
1,000 on repeated bytes; the most repetitive real sheets measured here reach about 100)."""
XLSX_RATIO_FLOOR = 32 * MiB
XLSX_MAX_SHEET_FACTOR = 16
"""A worksheet may inflate to at most this many times the size limit of a table (``max_bytes``): it is
streamed, so this bounds time, not memory."""
_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
_READ_WHOLE = re.compile(r".*\.(xml|rels)", re.IGNORECASE)
"""Parts openpyxl may parse whole; a worksheet (``_SHEET``) is streamed, the shared strings have their own limit."""


MAX_MEMBERS = 20_000
"""Most members an archive may list. ``zipfile.ZipFile`` reads the whole central directory into memory
(a ``ZipInfo`` of some 400 bytes per member) before anything can be checked: a 200 MB upload can list
about four million empty members, over a gigabyte. Real workbooks have tens of parts, model files hundreds."""
_EOCD, _ZIP64_EOCD, _ZIP64_LOCATOR = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"
_EOCD_SIZE, _MAX_COMMENT = 22, 65_535


def declared_members(stream) -> int | None:
    """Members the archive's end-of-central-directory record declares (None when there is none to read);
    for a zip64 archive (over 65,535 members), the count its zip64 record declares. The stream's
    position is restored."""
    start = stream.tell()
    try:
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
        tail_size = min(size, _EOCD_SIZE + _MAX_COMMENT)
        stream.seek(size - tail_size)
        tail = stream.read(tail_size)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < _EOCD_SIZE:
            return None
        count = int.from_bytes(tail[at + 10:at + 12], "little")
        locator = tail[at - 20:at] if at >= 20 else b""
        if count == 0xFFFF and locator[:4] == _ZIP64_LOCATOR:
            stream.seek(int.from_bytes(locator[8:16], "little"))
            record = stream.read(56)
            if record[:4] == _ZIP64_EOCD and len(record) == 56:
                count = int.from_bytes(record[32:40], "little")
        return count
    finally:
        stream.seek(start)


def check_member_count(stream, what: str) -> None:
    """Refuse, with one sentence, an archive that lists more than ``MAX_MEMBERS`` members, before
    ``zipfile`` reads its central directory."""
    count = declared_members(stream)
    if count is not None and count > MAX_MEMBERS:
        raise DataError(f"{what} is a zip archive listing {count:,} members (at most {MAX_MEMBERS:,} are read); "
                        "it is not a real one: save it again from its application.")


def _mb(n: int) -> str:
    return f"{n / MiB:,.0f} MB" if n >= MiB else f"{n:,} bytes"


def _shared_strings_parts(zf: zipfile.ZipFile) -> set[str]:
    """The parts [Content_Types].xml names as shared strings (openpyxl finds them by that, not by name)."""
    parts = {"xl/sharedStrings.xml"}
    try:
        info = zf.getinfo("[Content_Types].xml")
    except KeyError:
        return parts
    if info.file_size > XLSX_MAX_PART:
        return parts  # refused as an oversized part by check_xlsx
    try:
        root = ElementTree.fromstring(zf.read(info))
    except (ElementTree.ParseError, ValueError, zipfile.BadZipFile, OSError):
        return parts  # openpyxl refuses the workbook
    for item in root:
        if str(item.get("ContentType", "")).endswith("sharedStrings+xml"):
            parts.add(str(item.get("PartName", "")).lstrip("/"))
    return parts


def check_xlsx(zf: zipfile.ZipFile, max_bytes: int) -> None:
    """DataError when a workbook member would inflate past its limit; reads only the central directory
    and [Content_Types].xml (itself at most ``XLSX_MAX_PART``).

    Parameters
    ----------
    zf : the workbook, opened as a zip archive
    max_bytes : the table size limit of ``load_table`` (the upload limit in the app)
    """
    shared = _shared_strings_parts(zf)
    for info in zf.infolist():
        name, size = info.filename, info.file_size
        if name in shared:
            limit, what = XLSX_MAX_SHARED_STRINGS, "its table of shared text"
        elif _SHEET.fullmatch(name):
            ratio_limit = max(XLSX_RATIO_FLOOR, XLSX_MAX_RATIO * info.compress_size)
            limit, what = min(ratio_limit, XLSX_MAX_SHEET_FACTOR * max_bytes), f"its worksheet {name}"
        elif _READ_WHOLE.fullmatch(name):
            limit, what = XLSX_MAX_PART, f"its part {name}"
        else:  # images and other binary parts, never read unless a workbook points to them oddly
            limit, what = XLSX_MAX_SHARED_STRINGS, f"its part {name}"
        if size > limit:
            raise DataError(f"The workbook was refused because {what} would inflate to {_mb(size)} (from "
                            f"{_mb(info.compress_size)} in the file; the limit is {_mb(limit)}); export the sheet "
                            f"as CSV and load that instead.")


# -- model files ---------------------------------------------------------------------------------
SKOPS_MAX_SCHEMA = 64 * MiB
"""Largest ``schema.json`` of a model file once inflated (LightGBM's model text is kept in it: a few MB
for the catalogue's largest boosters)."""
SKOPS_MAX_SCHEMA_NODES = 2_000_000
"""Most JSON objects and arrays in the schema (each costs about 100 bytes of memory once parsed, against
2 bytes of file: ``[[],[],…]`` would inflate 30-fold)."""
SKOPS_FLOOR = 128 * MiB
SKOPS_MAX_RATIO = 4
"""The members a model file's schema refers to may inflate, in all, to ``max(SKOPS_FLOOR, SKOPS_MAX_RATIO
× the file's size)``. ``save_model`` stores members uncompressed (ratio 1.0, measured on forests, kNN
and boosters); 4 leaves room for a file compressed again by a zip tool."""


def _references(node, found: list[str]) -> None:
    """Every ``"file"`` a skops schema node refers to, in order, repeats included."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("file"), str):
                found.append(item["file"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _npy_declared(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int | None:
    """Bytes of data the ``.npy`` member's header declares (shape × item size); None if it has no header."""
    with zf.open(info) as member:
        head = io.BytesIO(member.read(min(info.file_size, 65536)))
    try:
        version = np.lib.format.read_magic(head)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = reader(head)
        return int(np.prod(shape, dtype=object)) * dtype.itemsize
    except (ValueError, TypeError, SyntaxError, OverflowError):
        return None


def _npz_inflated(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """What a ``.npz`` member (a zip itself: a sparse matrix) declares its own members inflate to."""
    try:
        with zf.open(info) as member, zipfile.ZipFile(member) as inner:
            return sum(i.file_size for i in inner.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0


def check_skops(zf: zipfile.ZipFile, file_size: int, name: str) -> None:
    """DataError when a model file would inflate past its limits; inflates only the schema (capped).

    Checks, in order: ``schema.json`` is at most ``SKOPS_MAX_SCHEMA`` and has at most
    ``SKOPS_MAX_SCHEMA_NODES`` objects and arrays; every member the schema refers to exists; an array's
    header declares no more data than its member holds; and the members referred to (each as often as
    it is referred to: skops reads a member once per reference) inflate in all to at most
    ``max(SKOPS_FLOOR, SKOPS_MAX_RATIO × file_size)``.
    """
    def refuse(what: str) -> DataError:
        return DataError(f"'{name}' was refused because {what}, so it may have been crafted to exhaust memory; "
                         f"load only model files saved by this app")

    members = {info.filename: info for info in zf.infolist()}
    schema_info = members.get("schema.json")
    if schema_info is None:
        return  # not a skops file: the loader says so
    if schema_info.file_size > SKOPS_MAX_SCHEMA:
        raise refuse(f"its schema would inflate to {_mb(schema_info.file_size)} (the limit is "
                     f"{_mb(SKOPS_MAX_SCHEMA)})")
    raw = zf.read(schema_info)
    if raw.count(b"{") + raw.count(b"[") > SKOPS_MAX_SCHEMA_NODES:
        raise refuse(f"its schema holds more than {SKOPS_MAX_SCHEMA_NODES:,} objects and lists")
    try:
        schema = json.loads(raw)
    except (ValueError, RecursionError):
        return  # not valid JSON: the loader refuses it as not a model file
    del raw
    files: list[str] = []
    _references(schema, files)
    limit = max(SKOPS_FLOOR, SKOPS_MAX_RATIO * file_size)
    total = 0
    for ref in files:
        info = members.get(ref)
        if info is None:
            continue  # a missing member: skops fails and the loader says the file is not usable
        total += info.file_size + (_npz_inflated(zf, info) if ref.endswith(".npz") else 0)
        if total > limit:
            raise refuse(f"its members would inflate to more than {_mb(limit)} from a file of {_mb(file_size)}")
    for ref in dict.fromkeys(files):
        info = members.get(ref)
        if info is not None and ref.endswith(".npy"):
            declared = _npy_declared(zf, info)
            if declared is not None and declared > info.file_size:
                raise refuse(f"its array {ref} declares {_mb(declared)} of data but holds {_mb(info.file_size)}")
