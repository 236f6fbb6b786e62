"""The ``automl`` command. Bad input: exit status 2 and one ``error: ...`` line, never a traceback."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from automl_engine.errors import DataError, WorkerStartError

logger = logging.getLogger(__name__)


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
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror.lower()}; check the path", file=sys.stderr)
        return 2
    except WorkerStartError as exc:  # the machine's fault, not the input's: exit 1, still one sentence
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (e.g. `| head`)
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback; the log has the details
        logger.debug("unexpected failure", exc_info=True)
        print(f"error: unexpected failure ({type(exc).__name__}: {exc}); run with AUTOML_DEBUG=1 for details",
              file=sys.stderr)
        if os.environ.get("AUTOML_DEBUG"):
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
