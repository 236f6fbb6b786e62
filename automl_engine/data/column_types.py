"""The kinds of column intake assigns, shared by intake, the catalogue and explanations.

A *column-types mapping* is a ``dict[str, str]`` from a feature column's name to one of the
kinds below. Only feature columns the pipelines use appear in it: ID-like and constant
columns are reported by intake and left out, so the fitted pipeline ignores them.
"""
import numpy as np

NUMERIC = "numeric"
BOOLEAN = "boolean"
CATEGORICAL = "categorical"            # low cardinality: one-hot / ordinal / target encoding
HIGH_CARDINALITY = "high_cardinality"  # many levels: target or ordinal encoding, never one-hot
DATETIME = "datetime"                  # expanded into year, month, day, day-of-week, hour
TEXT = "text"                          # free text: TF-IDF
ID_LIKE = "id"                         # unique per row: dropped
CONSTANT = "constant"                  # one value: dropped

USED_KINDS = (NUMERIC, BOOLEAN, CATEGORICAL, HIGH_CARDINALITY, DATETIME, TEXT)
DROPPED_KINDS = (ID_LIKE, CONSTANT)
ALL_KINDS = USED_KINDS + DROPPED_KINDS


def columns_of_kind(column_types: dict[str, str], *kinds: str) -> list[str]:
    """Names of the columns whose kind is one of ``kinds``, in the mapping's order."""
    return [name for name, kind in column_types.items() if kind in kinds]


def held_as_numpy_numbers(dtype, bools: bool = True) -> bool:
    """Whether a column of ``dtype`` is a plain NumPy array of numbers (integers, floats and, with ``bools``,
    booleans; not pandas' extension types): such columns convert to floats as one block, not one by one."""
    return isinstance(dtype, np.dtype) and dtype.kind in ("iufb" if bools else "iuf")


def category_text(value) -> str:
    """A category's text, numbers written one way whichever type they arrive as (``5``, ``5.0`` → ``"5"``).

    A category column read from text may come back as integers, or as floats when a cell is empty, in
    the table a model later predicts; the encoders must see the same category either way. Text is kept
    as it is.

    >>> category_text(5.0), category_text(np.int64(5)), category_text(2.5), category_text("<5"), category_text(True)
    ('5', '5', '2.5', '<5', 'True')
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))
