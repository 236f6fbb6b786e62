"""Time-bounded explanations: sizes chosen from a measured cost, minimums, and additivity when cut.

Nothing here asserts on wall time: the planner is given costs, or the slow model sleeps so much
that the cut is certain, and the tests check the chosen sizes and the work done.
"""
import numpy as np
import pandas as pd
import pytest
from faulty_estimators import SlowLinearRegressor
from model_zoo import fitted
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from test_explain import check_additive

from automl_engine import explain
from automl_engine.explain import budget as explain_budget
from automl_engine.explain.budget import (
    AGNOSTIC_BUDGET,
    MIN_AGNOSTIC_BACKGROUND,
    Sizes,
    plan_permutation,
    plan_rows,
    sizes_for,
)


class FixedDeadline:
    def __init__(self, seconds):
        self.seconds = seconds

    def remaining(self):
        return self.seconds


def kernel_like(per_call=2e-3, per_model_row=50e-6, n_columns=30):
    """Seconds per explained row: a cost per model call plus a cost per model row; records what was timed."""
    timed = []

    def seconds_per_row(sizes):
        timed.append(sizes)
        return 2 * per_call + per_model_row * Sizes(1, sizes.background, sizes.permutations).model_rows(n_columns)
    return seconds_per_row, timed


def test_explain_row_budget_alone_gives_the_documented_sizes():
    assert sizes_for(AGNOSTIC_BUDGET, 1000, 100, 30) == Sizes(1000, 10, 1)
    assert sizes_for(AGNOSTIC_BUDGET, 30, 20, 6) == Sizes(30, 20, 10)
    assert plan_permutation(1000, 100, 30) == (Sizes(1000, 10, 1), False)
    assert sizes_for(0, 1000, 5, 30, min_rows=200) == Sizes(200, 5, 1)  # a smaller background than the minimum


def test_explain_fast_model_keeps_the_row_budget_sizes():
    measure, timed = kernel_like(per_call=0, per_model_row=1e-7)
    assert plan_permutation(1000, 100, 30, measure, FixedDeadline(20)) == (Sizes(1000, 10, 1), False)
    assert timed == [Sizes(1, MIN_AGNOSTIC_BACKGROUND, 1)]  # timed once, at the smallest sizes


def test_explain_slow_model_cuts_permutations_then_background_then_rows():
    # 200 rows asked: the row budget alone gives 52 background rows; the time left affords fewer
    measure, timed = kernel_like()
    sizes, limited = plan_permutation(200, 100, 30, measure, FixedDeadline(20))
    assert limited and sizes.permutations == 1 and MIN_AGNOSTIC_BACKGROUND < sizes.background < 52
    assert sizes.rows == 200 and timed[-1] == Sizes(200, sizes.background, 1)  # timed again at its background
    # 1,000 rows: already at the smallest background; rows are cut to what fits (≈ 20 s / 34.5 ms)
    measure, timed = kernel_like()
    sizes, limited = plan_permutation(1000, 100, 30, measure, FixedDeadline(20))
    assert limited and (sizes.background, sizes.permutations) == (MIN_AGNOSTIC_BACKGROUND, 1)
    assert sizes.rows == int(20 // (4e-3 + 50e-6 * 61 * 10)) and len(timed) == 1
    # few rows with many permutations: permutations go first
    measure, _ = kernel_like(per_call=0, per_model_row=1e-5, n_columns=6)
    sizes, limited = plan_permutation(30, 20, 6, measure, FixedDeadline(30 * 13 * 20 * 3 * 1e-5))
    assert limited and sizes == Sizes(30, 20, 3)


def test_explain_rows_never_go_below_the_minimum():
    measure, _ = kernel_like(per_call=10.0)
    sizes, limited = plan_permutation(1000, 100, 30, measure, FixedDeadline(1))
    assert limited and sizes == Sizes(explain_budget.MIN_EXPLAINED_ROWS, MIN_AGNOSTIC_BACKGROUND, 1)
    sizes, _ = plan_permutation(50, 100, 30, measure, FixedDeadline(0))
    assert sizes.rows == 50  # fewer asked than the minimum: all of them
    assert plan_rows(1000, 1.0, FixedDeadline(0)) == explain_budget.MIN_EXPLAINED_ROWS
    assert plan_rows(1000, 1 / 64, FixedDeadline(5)) == 320
    assert plan_rows(1000, 1.0, None) == 1000


def slow_pipeline(delay):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(100, 3)), columns=["a", "b", "c"])
    y = X["a"] * 2 - X["b"] + rng.normal(scale=0.1, size=100)
    front = ColumnTransformer([("num", "passthrough", ["a", "b", "c"])])
    return Pipeline([("columns", front), ("model", SlowLinearRegressor(delay=delay))]).fit(X, y), X


@pytest.fixture
def min_rows_10(monkeypatch):
    monkeypatch.setattr(explain_budget, "MIN_EXPLAINED_ROWS", 10)


def test_explain_slow_model_is_cut_to_the_minimums_and_stays_additive(min_rows_10):
    # 60 rows × 7 coalitions × 40 background rows × 10 permutations ≈ 168,000 model rows = 168 s of
    # sleep; timing 3 rows at the smallest sizes alone sleeps 3 × 7 × 10 × 1 ms > 0.1 s, so the
    # budget is spent when the plan is made and everything is cut to its minimum.
    model, X = slow_pipeline(delay=1e-3)
    e = explain(model, X, max_rows=60, background=40, time_budget=0.1)
    assert e.explainer == "permutation" and e.time_limited
    assert (len(e.values), e.n_background, e.n_requested) == (10, MIN_AGNOSTIC_BACKGROUND, 60)
    assert e.values.index.isin(X.index).all() and e.values.index.equals(e.data.index)
    check_additive(e)
    np.testing.assert_allclose(e.output, model.predict(e.data), rtol=1e-9, atol=1e-9)
    # the work done: 10 rows × ~7 coalitions × 10 background rows, plus the timing; not 168,000 rows
    assert model.steps[-1][1].rows_predicted_ < 5_000


def test_explain_without_time_budget_sizes_depend_only_on_inputs():
    model, X = slow_pipeline(delay=1e-6)
    e = explain(model, X, max_rows=20, background=15, time_budget=None)
    assert (len(e.values), e.n_background, e.n_requested, e.time_limited) == (20, 15, 20, False)
    again = explain(model, X, max_rows=20, background=15, time_budget=None)
    np.testing.assert_array_equal(e.values.to_numpy(), again.values.to_numpy())
    check_additive(e)


def test_explain_injected_cost_cuts_the_background_not_the_rows(monkeypatch):
    # Timing (injected: nothing sleeps) says a model row costs 10 ms: 60 rows × 7 coalitions fit with
    # about 25 background rows in 105 s, minus what the preparation took.
    monkeypatch.setattr(explain_budget, "timed", lambda fn: 3 * 7 * MIN_AGNOSTIC_BACKGROUND * 1e-2)
    model, X = slow_pipeline(delay=0)
    e = explain(model, X, max_rows=60, background=40, time_budget=60 * 7 * 25 * 1e-2)
    assert e.time_limited and len(e.values) == 60 and MIN_AGNOSTIC_BACKGROUND < e.n_background < 40
    check_additive(e)


def test_explain_tree_rows_are_cut_to_what_fits(monkeypatch, min_rows_10):
    model, X, _ = fitted("regression", "random_forest")
    monkeypatch.setattr(explain_budget, "timed", lambda fn: 1000.0)  # TreeSHAP "takes" 1000 s per probe
    e = explain(model, X, max_rows=60, time_budget=5)
    assert e.explainer == "tree" and e.time_limited
    assert (len(e.values), e.n_requested) == (10, 60)
    check_additive(e)
    monkeypatch.setattr(explain_budget, "timed", lambda fn: 0.0)
    e = explain(model, X, max_rows=60, time_budget=5)
    assert not e.time_limited and len(e.values) == 60


def test_explain_stops_early_when_the_run_is_slower_than_timed(monkeypatch, min_rows_10):
    # The timing says everything fits, but each row sleeps 7 × 10 × 10 × 0.1 ms = 70 ms: past the
    # 0.5 s deadline after at most 8 rows, so the run stops at the first chunk end after 10 rows.
    monkeypatch.setattr(explain_budget, "timed", lambda fn: 0.0)
    model, X = slow_pipeline(delay=1e-4)
    e = explain(model, X, max_rows=60, background=10, time_budget=0.5)
    assert e.time_limited and 10 <= len(e.values) < 60 and e.n_requested == 60
    assert e.values.index.is_monotonic_increasing and e.values.index.equals(e.data.index)
    check_additive(e)
    np.testing.assert_allclose(e.output, model.predict(e.data), rtol=1e-9, atol=1e-9)
