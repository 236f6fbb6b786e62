"""The phases of a fit, announced through the same ``on_event`` callback as the evaluations."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

PREPARING, SEARCHING, REFITTING, ENSEMBLING = "preparing", "searching", "refitting", "ensembling"
PHASES = (PREPARING, SEARCHING, REFITTING, ENSEMBLING)


@dataclass(frozen=True)
class PhaseEvent:
    """A phase of ``AutoML.fit`` begins; ``elapsed``: seconds of the budget used by then."""

    phase: str
    elapsed: float


def emitter(on_event: Callable | None) -> Callable:
    """``on_event`` itself, or a callable that ignores what it is given."""
    return on_event if on_event is not None else (lambda event: None)
