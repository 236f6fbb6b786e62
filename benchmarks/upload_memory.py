"""Server memory held by uploads: N browser sessions each upload a large CSV on the Data page; the
server's resident memory is read while the sessions are open and after they have closed.

    python benchmarks/upload_memory.py --uploads 3 --size-mb 120 [--root DIR]

``--root`` runs the app of another tree (e.g. a ``git archive`` of an older commit) with the same
Python environment. Needs Debian's Chromium and Playwright (as tests/e2e).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def uploads_held_mb(url: str) -> float:
    """Bytes of uploaded files Streamlit's uploaded-file manager holds (its /_stcore/metrics figure)."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=30) as response:
        text = response.read().decode()
    held = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("cache_memory_bytes") and "UploadedFileManager" in line)
    return held / 1024**2


def make_csv(path: Path, size_mb: int) -> Path:
    rng = np.random.default_rng(0)
    rows = int(size_mb * 1024**2 / 190)
    frame = pd.DataFrame(rng.normal(size=(rows, 10)).round(12), columns=[f"x{i}" for i in range(10)])
    frame["y"] = (frame["x0"] > 0).astype(int)
    frame.to_csv(path, index=False)
    return path


def main() -> None:
    from helpers import CHROMIUM, CHROMIUM_ARGS, free_port, idle
    from playwright.sync_api import expect, sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=3)
    parser.add_argument("--size-mb", type=int, default=120)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--settle", type=float, nargs="+", default=[20.0, 150.0],
                        help="seconds after the sessions close to read the memory (Streamlit keeps a closed "
                             "session 120 s: server.disconnectedSessionTTL)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="upload-memory-"))
    csv = make_csv(work / "big.csv", args.size_mb)
    port = free_port()
    env = {**os.environ, "AUTOML_DATA_DIR": str(work / "data"), "PYTHONPATH": str(args.root),
           "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": str(args.size_mb + 50)}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless",
                               "true", "--server.port", str(port), "--server.address", "127.0.0.1"],
                              cwd=args.root, env=env, stdout=open(work / "server.log", "w"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        figures = {"server at start": (rss_mb(server.pid), uploads_held_mb(url))}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            contexts = []
            for _ in range(args.uploads):
                context = browser.new_context()
                page = context.new_page()
                page.set_default_timeout(300_000)
                page.goto(url)
                page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
                expect(page.get_by_text("Target column", exact=True)).to_be_visible(timeout=300_000)
                idle(page)
                contexts.append(context)
            time.sleep(5)
            figures[f"{args.uploads} sessions open, tables read"] = rss_mb(server.pid), uploads_held_mb(url)
            for context in contexts:
                context.close()
            browser.close()
        closed = time.monotonic()
        for seconds in sorted(args.settle):
            time.sleep(max(0.0, closed + seconds - time.monotonic()))
            figures[f"{seconds:.0f} s after the sessions closed"] = rss_mb(server.pid), uploads_held_mb(url)
        # Streamlit evicts a closed session once its TTL has passed, lazily, when it next looks: a new visit
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=120_000)
            browser.close()
        time.sleep(5)
        figures["then after one new visit (closed sessions evicted)"] = rss_mb(server.pid), uploads_held_mb(url)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    print(f"root {args.root}; {args.uploads} uploads of {csv.stat().st_size / 1024**2:.0f} MB")
    print("| when | server RSS | uploaded files held |\n|---|---|---|")
    for what, (rss, held) in figures.items():
        print(f"| {what} | {rss:,.0f} MB | {held:,.0f} MB |")


if __name__ == "__main__":
    main()
