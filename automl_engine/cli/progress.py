"""A one-line text progress bar with an ETA, for the command line."""
from __future__ import annotations

import sys
import time


def format_seconds(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class ProgressBar:
    """Redraws ``[#####.....] done/total unit  elapsed  ETA  note`` on stderr, at most ``min_interval`` apart.

    ``unit`` says what is counted ("pipelines", "% of the time budget", "evaluations").
    """

    def __init__(self, total: int, width: int = 30, stream=None, min_interval: float = 0.5, unit: str = ""):
        self.total, self.width, self.unit = max(0, int(total)), width, unit
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self.start = time.perf_counter()
        self._last = 0.0

    def update(self, done: int, note: str = "", eta: float | None = None, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval and done < self.total:
            return
        self._last = now
        elapsed = now - self.start
        fraction = done / self.total if self.total else 1.0
        if eta is None:
            eta = elapsed / done * (self.total - done) if done else float("nan")
        filled = int(round(fraction * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        count = f"{done}%" if self.unit.startswith("%") else f"{done}/{self.total}"
        unit = self.unit[1:].strip() if self.unit.startswith("%") else self.unit
        self.stream.write(f"\r[{bar}] {count}{' ' + unit if unit else ''}  elapsed {format_seconds(elapsed)}  "
                          f"ETA {format_seconds(eta)}  {note[:60]:<60}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
