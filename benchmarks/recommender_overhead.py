"""Overhead of the recommender: time of `suggest` during a search and of `fit` offline.

    python benchmarks/recommender_overhead.py            # the full measurement (a few minutes)
    python benchmarks/recommender_overhead.py --quick    # a smoke run (smaller fit)

* suggest: 50 observations of a new dataset over a 2,000-pipeline model, median over 50 calls,
  BLAS limited to one thread (threadpoolctl); also n=4 (a batch, kriging believer) and predict.
* fit: a 250 x 2,000 synthetic matrix at 20% density, default parameters
  (n_latent=20, n_iter=300, batch_size=32); and the shipped recommenders refitted on the shipped
  matrices with their shipped parameters (``automl knowledge fit``; skip with --no-shipped).
* the neighbours' prior (``neighbour_prior=True``, shipped in classification): suggest and
  predict with the new dataset's meta-features, so each call also finds its nearest datasets.

Targets: suggest median <= 20 ms; fit <= 5 min. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from automl_engine.knowledge.artifact import load_knowledge
from automl_engine.knowledge.recommender_io import SHIPPED_PARAMS, fit_recommender
from automl_engine.recommender import PMFRecommender


def synthetic_scores(n_datasets, n_pipelines, density, rank=5, seed=0):
    """Low-rank + noise scores in per-dataset "accuracy" units, plus one extra (new) row."""
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(n_datasets + 1, rank))
    V = rng.normal(size=(n_pipelines, rank))
    F = U @ V.T + 0.7 * rng.normal(size=n_pipelines) + 0.3 * rng.normal(size=(n_datasets + 1, n_pipelines))
    F = rng.uniform(0.5, 0.9, size=(n_datasets + 1, 1)) + 0.05 * F
    Y = F[:n_datasets].copy()
    Y[rng.random(Y.shape) > density] = np.nan
    meta = rng.normal(size=(n_datasets + 1, 8))
    return Y, F[n_datasets], meta[:n_datasets], meta[n_datasets]


def shipped_fit_seconds(task_type):
    """(matrix shape, parameters, wall s, CPU s) of refitting the shipped recommender as shipped."""
    knowledge = load_knowledge(task_type)
    t0, c0 = time.perf_counter(), time.process_time()
    fit_recommender(knowledge)
    shape = (int(knowledge.train.sum()), len(knowledge.pipeline_ids))
    params = ", ".join(f"{k}={v}" for k, v in SHIPPED_PARAMS[task_type].items())
    return shape, params, time.perf_counter() - t0, time.process_time() - c0


def median_ms(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller fit (n_iter=30) for a smoke run")
    parser.add_argument("--datasets", type=int, default=250)
    parser.add_argument("--pipelines", type=int, default=2000)
    parser.add_argument("--density", type=float, default=0.2)
    parser.add_argument("--n-iter", type=int, default=300)
    parser.add_argument("--observations", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-shipped", action="store_true", help="skip refitting the shipped recommenders")
    args = parser.parse_args(argv)
    n_iter = 30 if args.quick else args.n_iter

    Y, new_row, meta, new_meta = synthetic_scores(args.datasets, args.pipelines, args.density, seed=args.seed)
    rec = PMFRecommender(n_latent=20, n_iter=n_iter, random_state=args.seed)
    t0, c0 = time.perf_counter(), time.process_time()
    descriptors = np.random.default_rng(args.seed).normal(size=(args.pipelines, 114))  # as many as the catalogue's
    rec.fit(Y, meta_features=meta, pipeline_features=descriptors)
    fit_s, fit_cpu_s = time.perf_counter() - t0, time.process_time() - c0

    rng = np.random.default_rng(args.seed + 1)
    seen = rng.choice(args.pipelines, size=args.observations, replace=False)
    observed = {int(j): float(new_row[j]) for j in seen}
    with threadpool_limits(limits=1):
        suggest_ms = median_ms(lambda: rec.suggest(observed, n=1), args.repeats)
        batch_ms = median_ms(lambda: rec.suggest(observed, n=4), args.repeats)
        warm_ms = median_ms(lambda: rec.suggest({}, n=1, meta_features=new_meta), args.repeats)
        predict_ms = median_ms(lambda: rec.predict(observed), args.repeats)
        neighbours = rec.with_params(neighbour_prior=True, n_warm_start=0)
        prior_suggest_ms = median_ms(lambda: neighbours.suggest(observed, n=1, meta_features=new_meta), args.repeats)
        prior_predict_ms = median_ms(lambda: neighbours.predict(observed, meta_features=new_meta), args.repeats)
        t0 = time.perf_counter()
        state = rec.get_state()
        PMFRecommender.from_state(state)
        load_ms = (time.perf_counter() - t0) * 1e3

    shipped = {} if args.no_shipped else {task_type: shipped_fit_seconds(task_type) for task_type in SHIPPED_PARAMS}
    density = np.isfinite(Y).mean()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"command: python {' '.join([sys.argv[0], *(argv if argv is not None else sys.argv[1:])])}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"numpy {np.__version__}, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    print()
    print("| operation | setting | time | target |")
    print("|---|---|---|---|")
    print(f"| suggest, n=1 | {args.observations} observations, {args.pipelines} pipelines, 1 thread, "
          f"median of {args.repeats} | {suggest_ms:.1f} ms | <= 20 ms |")
    print(f"| suggest, n=4 (kriging believer) | same | {batch_ms:.1f} ms | |")
    print(f"| suggest, warm start | 0 observations, meta-features | {warm_ms:.1f} ms | |")
    print(f"| predict | same as suggest | {predict_ms:.1f} ms | |")
    print(f"| suggest, n=1, neighbours' prior | same, with the new dataset's meta-features "
          f"({len(meta)} training datasets) | {prior_suggest_ms:.1f} ms | <= 20 ms |")
    print(f"| predict, neighbours' prior | same | {prior_predict_ms:.1f} ms | |")
    print(f"| get_state + from_state | in memory | {load_ms:.1f} ms | |")
    print(f"| fit | {args.datasets} x {args.pipelines}, density {density:.0%}, n_latent=20, "
          f"n_iter={n_iter}, batch_size=32 | {fit_s:.1f} s wall ({fit_cpu_s:.1f} s CPU) | <= 300 s |")
    for task_type, (shape, params, wall, cpu) in shipped.items():
        print(f"| fit on the shipped {task_type} matrix | {shape[0]} x {shape[1]} meta-train rows, {params} | "
              f"{wall:.1f} s wall ({cpu:.1f} s CPU) | <= 300 s |")
    print()
    print(f"NLL per observed entry: {rec.nll_init_:.3f} (PCA init) -> {rec.nll_:.3f} (fitted); {rec.kernel_}")


if __name__ == "__main__":
    main()
