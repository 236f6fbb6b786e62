"""Replay at equal time: searches on the stored matrix where each evaluation costs its stored wall time.

The surrogate benchmark (surrogate_regret.py) counts evaluations; a user's budget is seconds. Here a held-out
dataset's search may spend a budget of ``m`` × the median stored wall time of its row (``--budgets``, in
"median evaluations"), each pick costs the wall time the build measured for it, and the regret is taken when
the next pick would overrun the budget. Compared, on the same recommender (fitted on the other datasets):

* ``EI per second``: log EI − log predicted cost (what the engine does with a time budget);
* ``EI``: the same picks without costs;
* ``EI per second^a, cooled``: log EI − a · log predicted cost with ``a`` = the share of the budget left
  (Lee et al., "Cost-aware Bayesian optimization", 2020: cheap picks first, plain EI at the end);
* ``random``: uniform picks until the budget is spent (mean of 20 seeds).

The predicted cost of a pipeline is its median wall time over the training datasets, scaled by the geometric
mean of (measured / predicted) over the picks already timed on the held-out dataset (a cost model that learns
the table's speed as it goes). ``--protocol cv`` (default) holds out fifths of the meta-train datasets and
leaves the meta-test split untouched; ``split`` replays the meta-test split.

Usage:
    python benchmarks/time_replay.py [--protocol cv|split] [--task-type T] [--budgets 10 30 100] [--limit N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from automl_engine.knowledge.artifact import data_dir, load_knowledge
from automl_engine.knowledge.recommender_io import fit_recommender

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_report import paired_difference, sign_test  # noqa: E402
from surrogate_regret import held_out_rows  # noqa: E402

RANDOM_SEEDS = 20
STRATEGIES = ("EI per second", "EI", "EI per second^a, cooled")


def cost_prior(wall_times: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Each pipeline's median wall time over the training rows (the overall median where it has none)."""
    times = np.where(np.isfinite(wall_times[train]) & (wall_times[train] > 0), wall_times[train], np.nan)
    with np.errstate(all="ignore"):
        prior = np.nanmedian(times, axis=0)
    fill = float(np.nanmedian(times)) if np.isfinite(times).any() else 1.0
    return np.where(np.isfinite(prior), prior, fill)


def replay_timed(recommender, scores, times, available, meta, prior, budget: float, strategy: str) -> float:
    """Best score found before the next pick would overrun ``budget`` seconds."""
    unavailable = tuple(np.flatnonzero(~available))
    observed: dict[int, float] = {}
    ratios: list[float] = []
    spent = 0.0
    while len(observed) < available.sum():
        speed = float(np.exp(np.mean(np.log(ratios)))) if ratios else 1.0
        predicted = prior * speed
        exponent = {"EI per second": 1.0, "EI": 0.0}.get(strategy, max(0.0, 1.0 - spent / budget))
        costs = predicted ** exponent if exponent > 0 else None
        pick = recommender.suggest(observed, n=1, meta_features=meta, costs=costs, exclude=unavailable)[0]
        if spent + times[pick] > budget and observed:
            break
        spent += times[pick]
        observed[pick] = float(scores[pick])
        ratios.append(max(times[pick], 1e-3) / max(prior[pick], 1e-3))
    return max(observed.values())


def random_timed(scores, times, available, budget: float, seeds: int) -> float:
    """Mean over seeds of the best score uniform random picks reach within ``budget`` seconds."""
    idx = np.flatnonzero(available)
    bests = []
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(idx)
        spent = np.cumsum(times[order])
        n = max(1, int(np.searchsorted(spent, budget, side="right")))
        bests.append(float(np.max(scores[order[:n]])))
    return float(np.mean(bests))


def run(task_type: str, protocol: str, budgets, limit=None, knowledge_dir=None) -> pd.DataFrame:
    knowledge = load_knowledge(task_type, Path(knowledge_dir or data_dir()) / f"{task_type}.npz")
    Y = knowledge.training_matrix()
    times_all = np.asarray(knowledge.wall_times, dtype=float)
    rows, fitted = [], {}
    for mask, i in held_out_rows(knowledge, protocol)[:limit]:
        key = mask.tobytes()
        if key not in fitted:
            fitted[key] = (fit_recommender(knowledge, rows=mask), cost_prior(times_all, mask))
        recommender, prior = fitted[key]
        available = (knowledge.status[i] != 0) & np.isfinite(times_all[i]) & (times_all[i] > 0)
        if available.sum() < 2:
            continue
        scores, times = Y[i], times_all[i]
        best, median = float(np.nanmax(scores[available])), float(np.median(times[available]))
        for m in budgets:
            budget = m * median
            record = {"dataset": knowledge.datasets[i], "budget": m,
                      "random": best - random_timed(scores, times, available, budget, RANDOM_SEEDS)}
            for strategy in STRATEGIES:
                found = replay_timed(recommender, scores, times, available, knowledge.meta_features[i], prior,
                                     budget, strategy)
                record[strategy] = best - found
            rows.append(record)
    return pd.DataFrame(rows)


def report(results: pd.DataFrame, task_type: str) -> str:
    systems = [*STRATEGIES, "random"]
    n = results["dataset"].nunique()
    lines = [f"**{task_type}** — {n} held-out datasets; mean regret at the budget (lower is better)", "",
             "| budget (median evaluations) | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
    for m, group in results.groupby("budget"):
        lines.append(f"| {m} | " + " | ".join(f"{group[s].mean():.4f}" for s in systems) + " |")
    lines.append("")
    for m, group in results.groupby("budget"):
        for other in ("EI", "EI per second^a, cooled", "random"):
            mean, se, k = paired_difference(group[other], group["EI per second"])
            diff = group[other] - group["EI per second"]
            lower, higher = int((diff < -1e-9).sum()), int((diff > 1e-9).sum())
            lines.append(f"- budget {m}: {other} − EI per second {mean:+.4f} ± {se:.4f} (paired SE, {k}); "
                         f"lower on {lower}, higher on {higher} (sign test p = {sign_test(lower, higher):.2f})")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=("split", "cv"), default="cv")
    parser.add_argument("--task-type", choices=("classification", "regression", "all"), default="all")
    parser.add_argument("--budgets", type=float, nargs="+", default=[10, 30, 100])
    parser.add_argument("--limit", type=int, default=None, help="only the first N held-out datasets per task type")
    parser.add_argument("--knowledge", type=Path, default=None, help="folder of the matrices (default: shipped)")
    parser.add_argument("--per-dataset", type=Path, default=None, help="also write every dataset's regrets")
    args = parser.parse_args(argv)
    start = time.time()
    task_types = ("classification", "regression") if args.task_type == "all" else (args.task_type,)
    frames = []
    for task_type in task_types:
        results = run(task_type, args.protocol, args.budgets, args.limit, args.knowledge)
        print(report(results, task_type), "\n", flush=True)
        frames.append(results.assign(task_type=task_type))
    if args.per_dataset:
        pd.concat(frames).to_csv(args.per_dataset, index=False)
    print(f"{time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
