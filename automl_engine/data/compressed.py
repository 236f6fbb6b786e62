"""Compressed tables: a CSV or TSV saved as ``.gz``, ``.bz2`` or ``.xz`` is read as the table it holds.

The decompressed bytes are streamed, never held whole: :func:`decompressed_source` counts them once (so the
readers know the table's size, and a file that inflates beyond ``MAX_INFLATED_RATIO`` times its compressed size
is refused as a decompression bomb), then each read decompresses afresh.
"""
from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import zlib
from pathlib import Path

from automl_engine.data.readers import CHUNK_BYTES, Source
from automl_engine.errors import DataError

COMPRESSIONS = (
    (b"\x1f\x8b", "gzip", lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"), ".gz"),
    (b"BZh", "bzip2", bz2.BZ2File, ".bz2"),
    (b"\xfd7zXZ\x00", "xz", lzma.LZMAFile, ".xz"),
)
"""(first bytes, name, how to open the decompressed stream of a binary file, usual extension) of the
compressions read (the standard library's)."""
MAX_INFLATED_RATIO = 200
"""Most decompressed bytes per compressed byte. CSV files compress 3-20 times (50 for very repetitive ones);
a decompression bomb inflates a thousandfold and more."""
MIN_INFLATED_LIMIT = 64 * 1024 * 1024
"""A small compressed file may always inflate to this many bytes (a tiny file of repeated rows compresses far
better than a table)."""
_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)


def decompressed_source(src: Source, head: bytes) -> Source | None:
    """``src`` as the Source of its decompressed bytes when ``head`` (its first bytes) starts a gzip, bzip2 or
    xz stream; None when it is not compressed.

    Raises
    ------
    DataError
        The stream is damaged or cut short, or it inflates beyond ``MAX_INFLATED_RATIO`` times its size.

    Examples
    --------
    >>> import io, gzip
    >>> from automl_engine.data.readers import open_source
    >>> src = open_source(io.BytesIO(gzip.compress(b"a,b\\n1,2\\n")))
    >>> inflated = decompressed_source(src, b"\\x1f\\x8b")
    >>> inflated.size
    8
    """
    found = next((c for c in COMPRESSIONS if head.startswith(c[0])), None)
    if found is None:
        return None
    _, what, opener, extension = found
    limit = max(MAX_INFLATED_RATIO * src.size, MIN_INFLATED_LIMIT)
    size = 0
    try:
        with src.open() as raw, opener(raw) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise DataError(f"The {what}-compressed file inflates to more than {MAX_INFLATED_RATIO} times its "
                                    f"size ({limit / 1024**2:,.0f} MB and counting), which tables do not; decompress "
                                    f"it yourself if it really is a table.")
    except _ERRORS as exc:
        raise DataError(f"The file is {what}-compressed but could not be decompressed: it may be damaged or cut "
                        f"short, so download or copy it again.") from exc

    @contextlib.contextmanager
    def open_inflated():
        with src.open() as raw, opener(raw) as stream:
            yield stream

    name = src.name[: -len(extension)] if src.name.lower().endswith(extension) else Path(src.name).stem
    return Source(name, size, open_inflated)
