"""Comment lines above a text table's header (``# Data source: ...``), as downloaded tables often have.

:func:`without_comment_lines` returns the Source of the bytes from the header on: the readers then see an
ordinary table, and the lines they name in messages are counted from the file's first line
(``Source.lines_before``).
"""
from __future__ import annotations

import codecs
import contextlib

from automl_engine.data.readers import DELIMITERS, MAX_COLUMNS, Source, scan_record

COMMENT_MARK = b"#"
MAX_COMMENT_LINES = 100
"""Comment lines looked for above the header; more, and the file is read as it is."""


def _fields(line: bytes, delimiter: str) -> int:
    return scan_record(line.decode("latin-1").rstrip("\r"), 0, delimiter, MAX_COLUMNS).n_fields


def without_comment_lines(src: Source, head: bytes) -> tuple[Source, bytes]:
    """``src`` (and its first bytes ``head``) without the lines starting with ``#`` above the header.

    Such lines count as comments only when each has fewer fields than the line after them (the header),
    so a header whose first name is ``#`` (``#,name,value``) stays the header. Without comments, ``src``
    and ``head`` come back unchanged.

    Examples
    --------
    >>> from automl_engine.data.readers import open_source
    >>> data = b"# Data source: a bank\\n# 2024\\ndate,price\\n2024-01-02,10\\n"
    >>> src, head = without_comment_lines(open_source(data), data)
    >>> head[:10], src.lines_before
    (b'date,price', 2)
    >>> without_comment_lines(open_source(b"#,name\\n1,a\\n"), b"#,name\\n1,a\\n")[1]
    b'#,name\\n1,a\\n'
    """
    body = head[len(codecs.BOM_UTF8):] if head.startswith(codecs.BOM_UTF8) else head
    lines = body.split(b"\n", MAX_COMMENT_LINES + 1)
    n = 0
    while n < min(len(lines) - 1, MAX_COMMENT_LINES) and lines[n].lstrip().startswith(COMMENT_MARK):
        n += 1
    if n == 0 or n == len(lines) - 1 and not lines[n].strip():
        return src, head
    header = lines[n]
    delimiter = max(DELIMITERS, key=lambda d: _fields(header, d))
    width = _fields(header, delimiter)
    if width < 2 or any(_fields(line, delimiter) >= width for line in lines[:n]):
        return src, head
    skip = len(head) - len(body) + sum(len(line) + 1 for line in lines[:n])

    @contextlib.contextmanager
    def open_after_comments():
        with src.open() as stream:
            stream.read(skip)
            yield stream

    return Source(src.name, src.size - skip, open_after_comments, src.lines_before + n), head[skip:]
