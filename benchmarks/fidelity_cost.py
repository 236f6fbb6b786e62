"""What an evaluation of the knowledge build costs at its second fidelity (5,000 rows) against its first (800).

    python benchmarks/fidelity_cost.py [--datasets 4] [--pipelines 6] [--seed 1]

Samples corpus datasets with at least 5,000 rows and, on each, anchor pipelines; evaluates each pipeline at
both sample sizes the way the build does (3 folds, one worker, a 60 s timeout) and prints the paired wall
times and their means: the factor that scales the second fidelity's CPU-hours estimate (docs/KNOWLEDGE.md).
"""
from __future__ import annotations

import argparse
import random
import sys
import warnings

import numpy as np

from automl_engine.catalogue import build_pipeline, load_catalogue, task_type_of
from automl_engine.evaluation import EvaluationTask, Evaluator, Limits, make_folds
from automl_engine.evaluation.metrics import DEFAULT_METRIC
from automl_engine.knowledge.build import BuildSettings, anchor_indices, fidelity_name, prepare_corpus_task
from automl_engine.knowledge.corpus import load_corpus_table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=4)
    parser.add_argument("--pipelines", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    settings = BuildSettings()
    table = load_corpus_table()
    large = table[(table["rows"] >= settings.fidelity_rows) & ~table["name"].str.contains("yrbss")]  # refused
    rng = random.Random(args.seed)
    walls = {settings.max_rows: [], settings.fidelity_rows: []}
    with Evaluator(n_jobs=1, limits=Limits(timeout=60)) as evaluator:
        for row in large.sample(args.datasets, random_state=args.seed).to_dict("records"):
            catalogue = load_catalogue(task_type_of(row["task"]))
            picks = rng.sample(anchor_indices(catalogue, settings.n_anchors, settings.seed), args.pipelines)
            for rows in walls:
                name = row["name"] if rows == settings.max_rows else fidelity_name(row["name"], rows)
                task = prepare_corpus_task({**row, "name": name}, BuildSettings(max_rows=rows))
                folds = make_folds(task.y, task.task, n_splits=settings.n_folds, random_state=settings.seed)
                for index in picks:
                    evaluator.submit(EvaluationTask(catalogue[index].id,
                                                    build_pipeline(catalogue[index], task.column_types, 0),
                                                    task.X, task.y, task.task, DEFAULT_METRIC[task.task], folds,
                                                    keep_oof=False))
                    result = next(iter(evaluator.as_completed(1)))
                    walls[rows].append(result.wall_time)
                    print(row["name"], rows, catalogue[index].family, result.status, f"{result.wall_time:.1f} s",
                          flush=True)
    small, large_ = (np.array(walls[r]) for r in walls)
    print(f"{len(small)} pairs: mean {small.mean():.2f} s at {settings.max_rows} rows, {large_.mean():.2f} s at "
          f"{settings.fidelity_rows} (x{large_.mean() / small.mean():.1f}); medians {np.median(small):.2f} / "
          f"{np.median(large_):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
