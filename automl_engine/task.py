"""The kinds of supervised task, as one enum instead of string literals spread over the engine.

A ``StrEnum``: its members equal their strings, so task names read from model cards, run
records or the command line compare as before.

Examples
--------
>>> Task("binary").is_classification, Task.REGRESSION == "regression"
(True, True)
"""
from __future__ import annotations

from enum import StrEnum


class Task(StrEnum):
    BINARY = "binary"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"

    @property
    def is_classification(self) -> bool:
        return self is not Task.REGRESSION
