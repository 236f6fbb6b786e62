"""``automl predict MODEL DATA [--out FILE]``: predictions for a table, as CSV safe for spreadsheets."""
from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

from automl_engine.errors import DataError

logger = logging.getLogger(__name__)


def add_parsers(sub) -> None:
    """Register the ``predict`` sub-command on ``sub`` (the ``automl`` parser's sub-parsers)."""
    predict = sub.add_parser("predict", help="predict a table with a saved model (CSV to --out or stdout)")
    predict.add_argument("model", type=Path, help="a .skops model file saved by `automl fit` or the app")
    predict.add_argument("data", type=Path,
                         help="CSV or TSV (also compressed), Parquet or XLSX file with the training columns")
    predict.add_argument("--out", type=Path, default=None, help="CSV file to write (default: standard output)")
    predict.set_defaults(handler=cmd_predict)


def cmd_predict(args) -> int:
    """Load the model (trusted types only), check the table's columns, write predictions as CSV.

    Schema notes (ignored columns, values that do not fit) go to standard error as ``note: ...``
    lines; missing columns, an unusable model file or table raise ``DataError`` (one sentence).
    """
    from automl_engine.data.intake import load_table
    from automl_engine.model.predict import check_schema, predict_frame, to_csv_bytes
    from automl_engine.model.skops_io import ModelVersionWarning, load_model

    if not args.model.is_file():
        raise DataError(f"there is no model file at '{args.model}'; check the path")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelVersionWarning)  # shown below as one `warning:` line
        model = load_model(args.model)
    for sentence in model.warnings:
        sys.stderr.write(f"warning: {sentence}\n")
    frame = load_table(args.data)
    for sentence in check_schema(model.card, frame):
        sys.stderr.write(f"note: {sentence}\n")
    data = to_csv_bytes(predict_frame(model, frame, include_input=True))
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            args.out.write_bytes(data)
        except OSError as exc:
            raise DataError(f"cannot write '{args.out}' ({exc.strerror or exc}); choose another --out path") from exc
        sys.stderr.write(f"wrote {len(frame)} predictions to {args.out}\n")
    return 0
