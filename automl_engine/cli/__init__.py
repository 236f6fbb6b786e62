"""The ``automl`` command. Bad input: exit status 2 and one ``error: ...`` line, never a traceback."""
from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import sqlite3
import sys

from automl_engine.errors import DataError, WorkerStartError

logger = logging.getLogger(__name__)


STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.ENOTDIR, errno.EDQUOT}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2, as everywhere else
        self.exit(2, f"error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    from automl_engine.cli import fit_cmd, knowledge_cmd, predict_cmd

    parser = _Parser(prog="automl", description="AutoML with a recommender over a catalogue of ML pipelines.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fit_cmd.add_parsers(sub)
    predict_cmd.add_parsers(sub)
    knowledge_cmd.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except DataError as exc:
        print(f"error: {file_wording(str(exc))}", file=sys.stderr)
        return 2
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror.lower()}; check the path", file=sys.stderr)
        return 2
    except (sqlite3.OperationalError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno not in STORAGE_ERRNOS:
            return _unexpected(exc)
        print(f"error: {storage_problem(exc)}", file=sys.stderr)
        return 2
    except WorkerStartError as exc:  # the machine's fault, not the input's: exit 1, still one sentence
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (e.g. `| head`)
        return 0
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (see fit_cmd.terminate_as_interrupt)
        print(f"error: interrupted{'; ' + str(exc) if str(exc) else ''}", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback; the log has the details
        return _unexpected(exc)


def file_wording(message: str) -> str:
    """A message written for the app's upload box, in words for the command line: files, not uploads."""
    message = re.sub(r"\bbefore uploading\b", "before saving the file", message)
    message = re.sub(r"\buploaded\b", "given", message)
    message = re.sub(r"\bre-?upload\b", "give again", message)
    return re.sub(r"\bupload\b", "give", message)


def _unexpected(exc: Exception) -> int:
    logger.debug("unexpected failure", exc_info=True)
    print(f"error: unexpected failure ({type(exc).__name__}: {exc}); run with AUTOML_DEBUG=1 for details",
          file=sys.stderr)
    if os.environ.get("AUTOML_DEBUG"):
        raise exc
    return 1


def storage_problem(exc: Exception) -> str:
    """One sentence for a data folder that cannot be written (full disk, read-only, a path through a file)."""
    from automl_engine.store.paths import user_data_dir

    filename = getattr(exc, "filename", None)
    where = f"{filename}" if filename else f"the data folder {user_data_dir()}"
    detail = (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).lower()
    return (f"cannot write to {where} ({detail}); free some disk space, make the folder writable, "
            "or set AUTOML_DATA_DIR to a writable folder")


if __name__ == "__main__":
    sys.exit(main())
