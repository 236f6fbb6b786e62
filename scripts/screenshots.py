"""Take the screenshots of docs/APP.md: the e2e tour in Debian's Chromium, one shot per page.

    python scripts/screenshots.py [--out docs/screenshots] [--tiny-knowledge]

Starts `streamlit run streamlit_app.py` on a free port with a temporary data folder, uploads the
wine sample as a CSV, runs a 4-pipeline search, stops a second one and reopens it from History
(see tests/e2e/helpers.py). Uses the shipped knowledge when it is installed, else (or with
--tiny-knowledge) the small fake corpus the tests use.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "e2e"), str(ROOT / "tests")]

import pandas as pd  # noqa: E402
from helpers import chromium_page, streamlit_server, tour  # noqa: E402
from knowledge_fixture import build_tiny_knowledge  # noqa: E402

from automl_engine.data.samples import sample_datasets  # noqa: E402
from automl_engine.knowledge.artifact import data_dir  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--tiny-knowledge", action="store_true", help="use the tests' fake corpus")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="automl-shots-") as tmp:
        tmp = Path(tmp)
        shipped = (data_dir() / "classification.npz").exists()
        knowledge = build_tiny_knowledge(tmp / "knowledge") if args.tiny_knowledge or not shipped else None
        path, target = sample_datasets()["wine"]
        csv = tmp / "wine.csv"
        pd.read_csv(path).to_csv(csv, index=False)
        (tmp / "data").mkdir()
        with streamlit_server(tmp / "data", knowledge) as url, chromium_page(1440, 1800) as page:
            tour(page, url, csv, target, screenshots=args.out)
    print(f"screenshots in {args.out}: {', '.join(sorted(p.name for p in args.out.glob('*.png')))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
