"""Small mixed-type tables for the tests."""
import numpy as np
import pandas as pd


def mixed_frame(n: int = 160, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "num_a": rng.normal(size=n),
        "num_b": rng.exponential(size=n),
        "colour": rng.choice(["red", "green", "blue"], size=n),
        "city": rng.choice([f"city{i}" for i in range(40)], size=n),
        "when": pd.date_range("2021-01-01", periods=n, freq="37h").astype(str),
        "review": rng.choice(["great product works", "bad broke fast", "fine ok", "love it"], size=n),
    })
    frame.loc[::9, "num_a"] = np.nan
    frame.loc[::7, "colour"] = None
    return frame


MIXED_TYPES = {"num_a": "numeric", "num_b": "numeric", "colour": "categorical", "city": "high_cardinality",
               "when": "datetime", "review": "text"}


