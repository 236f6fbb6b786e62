"""Uploaded files are released from the server's memory once read.

Streamlit keeps an uploaded file's bytes in its uploaded-file manager until the user removes the file
from the uploader or the session ends, so every table uploaded in a session stayed in memory beside the
table read from it. Once ``load_table`` has read it (or refused it), :func:`release` drops the record and
closes the file's buffer; the uploader still shows the file's name, and its value is None from the next
run on (the page keeps the table it read).
"""
from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

UPLOAD_TYPES = ("csv", "tsv", "txt", "parquet", "xlsx", "gz", "bz2", "xz")
"""File extensions the uploaders take: the table formats ``load_table`` reads, and a text table compressed
(``data.csv.gz``; the browser checks only the last extension)."""


def release(upload) -> None:
    """Forget ``upload`` (a Streamlit ``UploadedFile``): its record in Streamlit's uploaded-file manager
    and its buffer."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is not None and ctx.uploaded_file_mgr is not None:
            ctx.uploaded_file_mgr.remove_file(ctx.session_id, upload.file_id)
    except Exception as exc:  # noqa: BLE001 - an internal API of Streamlit: the session's end still frees it
        logger.info("could not release the uploaded file %s: %s", getattr(upload, "name", "?"), exc)
    upload.close()
