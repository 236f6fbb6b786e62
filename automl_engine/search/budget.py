"""One budget for a whole fit: wall-clock seconds and/or evaluations, made once and passed down.

A resumed run's budget starts with what the earlier part already spent, so preparing, searching
and the final refits all draw on the original budget.

Examples
--------
>>> budget = Budget(seconds=60, spent=50)
>>> budget.timed, round(budget.remaining())
(True, 10)
>>> Budget(max_evals=5).remaining()
inf
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class Budget:
    """Wall-clock ``seconds`` (None: no time limit) and ``max_evals`` (None: no count limit).

    ``spent``: seconds a resumed run already used; ``started``: ``time.perf_counter()`` when this
    part of the run began.
    """

    seconds: float | None = None
    max_evals: int | None = None
    spent: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    @property
    def timed(self) -> bool:
        """Is there a time limit?"""
        return self.seconds is not None

    def elapsed(self) -> float:
        """Seconds of the budget used so far, the earlier part of a resumed run included."""
        return self.spent + time.perf_counter() - self.started

    def remaining(self) -> float:
        """Seconds left (``inf`` without a time limit; negative once overrun)."""
        return math.inf if self.seconds is None else float(self.seconds) - self.elapsed()

    @property
    def deadline(self) -> float | None:
        """The ``time.perf_counter()`` value at which the time budget ends, or None."""
        return None if self.seconds is None else self.started + float(self.seconds) - self.spent
