"""Load test: four browser sessions search at once on one ``streamlit run`` server (loopback only).

Four contexts of one headless Chromium each load a different table (wine and diabetes samples,
iris and breast cancer uploaded as CSV) and start a 4-pipeline, 3-fold search within a second.
psutil samples the server's tree every 0.5 s: evaluation workers (forkserver children, the
forkserver excluded) against the limit, RSS, and runs the store marks "queued". Then each
session's Search, Leaderboard and History pages must show its own run and nobody else's.

    python benchmarks/load_test.py [--strategy pmf|random] [--workers 1] [--write docs/RELIABILITY.md]

Bounded by ``--timeout`` (900 s): then what was measured is reported; 90 s later a watchdog kills
what this script started (server tree, browser). Uses the helpers of tests/e2e/helpers.py.
"""
import argparse
import os
import platform
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psutil
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]
from helpers import CHROMIUM, CHROMIUM_ARGS, choose, idle, open_page, set_number, streamlit_server  # noqa: E402

MARKERS = ("<!-- load-test -->", "<!-- /load-test -->")
FINISHED = re.compile(r"Finished: (\d+) pipelines evaluated")
STATES = [("failed", re.compile(r"The search (failed|stopped on)")), ("finished", FINISHED),
          ("stopped", re.compile(r"Stopped after")), ("queued", re.compile(r"\bQueued\b")),
          ("starting", re.compile(r"Starting the search|\bstarting · ")),
          ("searching", re.compile(r"\bsearching · ")), ("refitting", re.compile(r"\brefitting · "))]
RUN_ID = re.compile(r"\bRun ([0-9a-f]{12})\b")
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
STRATEGY_LABELS = {"pmf": "Recommender (PMF: learned from past datasets)", "random": "Random (baseline)"}


@dataclass
class Session:
    key: str
    name: str                        # the data name the app shows
    target: str
    csv: Path | None                 # uploaded file, or None for a sample button
    page: object = None
    owner: str = ""
    run_id: str = ""
    started: float = 0.0
    finished: float | None = None
    n_evals: int = 0
    history_runs: int = 0
    own_ok: bool = False
    freeze: float = 0.0                  # longest time the live view (elapsed seconds) did not change
    changed: tuple = (0.0, "")           # (when, text) of the last change seen
    states: list = field(default_factory=list)   # distinct states the Search page showed, in order
    errors: list = field(default_factory=list)
    leaks: list = field(default_factory=list)


class TreeSampler(threading.Thread):
    """Peak evaluation workers and RSS of the server's process tree, sampled every ``period`` s."""

    def __init__(self, server: psutil.Process, store: Path, period: float = 0.5):
        super().__init__(daemon=True, name="tree-sampler")
        self.server, self.store, self.period, self.halt = server, store, period, threading.Event()
        self.queued: dict[str, list] = {}     # run id -> [first and last time seen "queued" in the store]
        self.peak_workers = self.peak_rss = self.peak_server_rss = self.samples = self.over_limit = 0
        self.limit = int(os.environ.get("AUTOML_MAX_WORKERS", "2"))

    def sample(self) -> None:
        rss, workers = 0, 0
        try:   # RSS of the server alone, then of the tree (forked workers share pages: counted in each)
            self.peak_server_rss = max(self.peak_server_rss, self.server.memory_info().rss)
            tree = [self.server, *self.server.children(recursive=True)]
        except psutil.Error:
            return
        for proc in tree:
            try:
                if proc.status() != psutil.STATUS_ZOMBIE:
                    rss += proc.memory_info().rss
                    if proc.ppid() == self.server.pid and "multiprocessing.forkserver" in " ".join(proc.cmdline()):
                        workers += sum(c.status() != psutil.STATUS_ZOMBIE for c in proc.children())
            except psutil.Error:
                continue
        self.samples += 1
        self.peak_rss, self.peak_workers = max(self.peak_rss, rss), max(self.peak_workers, workers)
        self.over_limit += workers > self.limit
        try:
            with closing(sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, timeout=2)) as db:
                for (run_id,) in db.execute("SELECT id FROM runs WHERE status='queued'"):
                    self.queued.setdefault(run_id, [time.monotonic()] * 2)[1] = time.monotonic()
        except sqlite3.Error:
            pass

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(self.period)


def main_text(page) -> str:
    return page.get_by_test_id("stMainBlockContainer").inner_text(timeout=60_000)


def prepare(session: Session, browser, url: str, strategy: str, workers: int) -> None:
    """Open a fresh session, load its table, pick the target, set a tiny budget on the Search page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = session.page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible()
    idle(page)
    if session.csv is None:
        page.get_by_role("button", name=f"Load the {session.key} sample").click()
    else:
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(session.csv))
        expect(page.get_by_text("Target column")).to_be_visible()
        idle(page)
        box = page.get_by_test_id("stSelectbox").filter(has_text="Target column").locator("input").first
        box.click()
        box.fill(session.target)            # the option list is virtualised: filter it to the target
        page.get_by_role("option", name=session.target, exact=True).click()
        idle(page)
    expect(page.get_by_role("heading", name="Data checks")).to_be_visible()
    idle(page)
    session.owner = re.search(r"owner=([0-9a-f]{32})", page.url).group(1)
    open_page(page, "Search")
    set_number(page, "Time budget", 0)
    set_number(page, "Pipelines to evaluate", 4)
    choose(page, "Cross-validation folds", "3")
    if workers != 1:
        set_number(page, "Parallel workers", workers)
    page.get_by_test_id("stRadio").get_by_text(STRATEGY_LABELS[strategy]).click()
    idle(page)


def poll(sessions: list[Session], deadline: float) -> None:
    """Watch every Search page until each search finished, stopped, failed or the deadline passed."""
    pending = list(sessions)
    while pending and time.monotonic() < deadline:
        for s in list(pending):
            text = main_text(s.page)
            state = next((name for name, pattern in STATES if pattern.search(text)), None)
            if state and (not s.states or s.states[-1] != state):
                s.states.append(state)
            now = time.monotonic()
            if text != s.changed[1] or state not in ("searching", "refitting"):
                s.changed = (now, text)
            s.freeze = max(s.freeze, now - s.changed[0])
            s.errors += [e[:200] for e in s.page.locator(ERRORS).all_inner_texts()]
            found = FINISHED.search(text)
            if found or "Stopped after" in text or s.errors:
                s.finished, s.n_evals = time.monotonic(), int(found.group(1)) if found else 0
                pending.remove(s)
        time.sleep(0.5)


def check_leaks(s: Session, sessions: list[Session]) -> None:
    """Search, Leaderboard and History of ``s`` show its own data and run, and nobody else's."""
    page = s.page
    idle(page)
    search = main_text(page)
    s.run_id = (RUN_ID.search(search) or [None, ""])[1]
    open_page(page, "Leaderboard")
    board = main_text(page)
    open_page(page, "History")
    history = main_text(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Run").locator("input").first.click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    idle(page)
    s.history_runs = len(options)
    shown = "\n".join([search, board, history, *options])
    s.own_ok = bool(s.run_id) and all(s.name in t and s.run_id in t for t in (search, board)) and \
        len(options) == 1 and s.run_id in options[0] and s.name in options[0]
    for other in sessions:
        if other is not s:
            s.leaks += [f"{other.key}: {x}" for x in (other.name, other.run_id) if x and x in shown]
    s.errors += [e[:200] for e in page.locator(ERRORS).all_inner_texts()]


def code_version() -> str:
    """The commit the app ran from; "-dirty" when the working tree had uncommitted changes (others work here)."""
    return subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip() or "?"


def report(sessions, sampler, wall, total, stored, args, log_errors, failure, load) -> str:
    held = [s for s in sessions if s.finished and s.n_evals and not s.errors]
    queued, own = [s.key for s in sessions if "queued" in s.states], sum(s.own_ok for s in sessions)
    leaks, mb = [f"{s.key} shows {x}" for s in sessions for x in s.leaks], 1024 * 1024
    lines = [
        f"Command: `python benchmarks/load_test.py --strategy {args.strategy} --workers {args.workers}"
        f"{' --write ' + args.write if args.write else ''}`  ",
        f"Run {date.today()} on {platform.machine()}, {psutil.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load:.1f} at the start (the machine is shared with long background jobs); "
        f"app code: commit {code_version()}; Streamlit file watcher: "
        f"{os.environ.get('STREAMLIT_SERVER_FILE_WATCHER_TYPE', 'default')}.  ",
        f"One `streamlit run` server, one headless Chromium, 4 browser contexts; each search: 4 pipelines, 3 folds, "
        f"strategy {args.strategy}, {args.workers} worker(s) per session.", "",
        "| what | figure |", "|---|---|",
        f"| sessions held (finished, no error shown) | {len(held)} of {len(sessions)}"
        f"{' (the test stopped: ' + failure.replace('|', '/') + ')' if failure else ''} |",
        f"| sessions that saw \"Queued\" | {len(queued)} of {len(sessions)} ({', '.join(queued) or 'none'}) |",
        f"| peak evaluation worker processes | {sampler.peak_workers} (limit {sampler.limit}; "
        f"{sampler.over_limit} of {sampler.samples} samples over it) |",
        f"| peak RSS, server process tree | {sampler.peak_rss / mb:,.0f} MB (server process alone "
        f"{sampler.peak_server_rss / mb:,.0f} MB; forked workers' shared pages counted in each) |",
        f"| state leaks | {'; '.join(leaks) if leaks else 'none'} ({own} of {len(sessions)} sessions show "
        "exactly their own run on Search, Leaderboard and History) |",
        f"| runs stored | {stored} |", f"| tracebacks in the server log | {log_errors} |",
        f"| wall time, first Start → last search finished | "
        f"{'not all finished' if wall is None else f'{wall:.1f} s'} |",
        f"| whole test (server start → cleanup) | {total:.1f} s |", "",
        "| session | data | target | states its Search page showed | queued in the store | longest freeze of "
        "the live view | done after | evaluations | run | History runs | errors |", "|---" * 11 + "|",
    ]
    t0 = min(s.started for s in sessions) if sessions[0].started else 0
    for s in sessions:
        done = f"{s.finished - t0:.1f} s" if s.finished else "not finished"
        wait = sampler.queued.get(s.run_id)
        queued_for = f"{max(0.0, wait[1] - wait[0]):.1f} s" if wait else "–"
        lines.append(f"| {s.key} | {s.name} | {s.target} | {' → '.join(s.states)} | {queued_for} | {s.freeze:.1f} s "
                     f"| {done} | {s.n_evals} | {s.run_id or '?'} | {s.history_runs} | {'; '.join(s.errors) or 'none'} "
                     "|")
    return "\n".join(lines) + "\n"


def write_section(path: Path, body: str) -> None:
    start, end = MARKERS
    text = path.read_text() if path.is_file() else "# Reliability\n"
    section = f"{start}\n{body}{end}"
    if start in text and end in text:
        text = text[:text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n## Load test: four sessions at once\n\n" + section + "\n"
    path.write_text(text)


def kill_ours_and_exit() -> None:
    """Watchdog: kill the processes this script started (server tree, Playwright, Chromium), exit."""
    for child in psutil.Process().children(recursive=True):
        with suppress(psutil.Error):
            child.kill()
    os._exit(3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", choices=list(STRATEGY_LABELS), default="pmf")
    parser.add_argument("--workers", type=int, default=1, help="parallel workers each session asks for")
    parser.add_argument("--timeout", type=int, default=900, help="seconds for the whole test")
    parser.add_argument("--write", help="markdown file to put the results in, between load-test markers")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from sklearn.datasets import load_breast_cancer, load_iris

    from automl_engine.store.runs import RunStore

    begin, load = time.monotonic(), os.getloadavg()[0]
    watchdog = threading.Timer(args.timeout + 90, kill_ours_and_exit)
    watchdog.daemon = True
    watchdog.start()

    def alarm(*_):
        raise TimeoutError(f"the load test hit its {args.timeout} s limit")

    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(args.timeout)

    wall, failure = None, ""
    expect.set_options(timeout=60_000)     # a loaded machine: page changes can take more than 5 s
    with tempfile.TemporaryDirectory(prefix="automl-load-") as tmp:
        tmp = Path(tmp)
        load_iris(as_frame=True).frame.rename(columns={"target": "species"}).to_csv(tmp / "iris.csv", index=False)
        load_breast_cancer(as_frame=True).frame.rename(columns={"target": "diagnosis"}).to_csv(
            tmp / "cancer.csv", index=False)
        sessions = [Session("wine", "wine (sample)", "cultivar", None),
                    Session("diabetes", "diabetes (sample)", "progression", None),
                    Session("iris", "iris.csv", "species", tmp / "iris.csv"),
                    Session("cancer", "cancer.csv", "diagnosis", tmp / "cancer.csv")]
        data_dir, sampler = tmp / "data", None
        data_dir.mkdir()
        try:
            with streamlit_server(data_dir, log_path=tmp / "streamlit.log") as url, sync_playwright() as p:
                port = url.rsplit(":", 1)[1]
                server = next(c for c in psutil.Process().children()
                              if "streamlit" in " ".join(c.cmdline()) and port in c.cmdline())
                sampler = TreeSampler(server, data_dir / "runs.sqlite")
                sampler.start()
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for s in sessions:
                        prepare(s, browser, url, args.strategy, args.workers)
                        print(f"{s.key}: ready at {time.monotonic() - begin:.0f} s", flush=True)
                    for s in sessions:                       # start all four within a second or two
                        s.started = time.monotonic()
                        s.page.get_by_role("button", name="Start the search").click()
                    print(f"started (spread {sessions[-1].started - sessions[0].started:.1f} s)", flush=True)
                    poll(sessions, begin + args.timeout - 120)
                    if all(s.finished for s in sessions):
                        wall = max(s.finished for s in sessions) - sessions[0].started
                    print(f"searches over after {time.monotonic() - sessions[0].started:.0f} s", flush=True)
                    for s in sessions:
                        check_leaks(s, sessions)
                finally:
                    signal.alarm(0)            # the time limit bounds the test; cleanup has the watchdog
                    sampler.halt.set()
                    browser.close()
        except Exception as exc:  # noqa: BLE001 - a failed step (or the time limit) is a result: report it
            failure = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            traceback.print_exc()
        finally:
            signal.alarm(0)
        runs = RunStore(data_dir / "runs.sqlite").list() if (data_dir / "runs.sqlite").is_file() else []
        by_id = {r["id"]: r for r in runs}
        matched = sum(s.run_id in by_id and by_id[s.run_id]["owner"] == s.owner and by_id[s.run_id]["name"] == s.name
                      for s in sessions)
        stored = (f"{len(runs)} runs, {len({r['owner'] for r in runs})} owners; {matched} of {len(sessions)} "
                  "match their session's owner and data name")
        log = (tmp / "streamlit.log").read_text(errors="replace") if (tmp / "streamlit.log").is_file() else ""
        if (log_errors := log.count("Traceback")):
            print("--- server log (tail) ---\n" + "\n".join(log.splitlines()[-40:]), file=sys.stderr)
    watchdog.cancel()
    if sampler is None:
        print("the server did not start", file=sys.stderr)
        return 2
    table = report(sessions, sampler, wall, time.monotonic() - begin, stored, args, log_errors, failure, load)
    print(table)
    if args.write:
        write_section(ROOT / args.write, table)
    ok = not failure and all(s.finished and s.n_evals and not s.errors and s.own_ok and not s.leaks
                               for s in sessions) and sampler.peak_workers <= sampler.limit
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
