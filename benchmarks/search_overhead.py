"""The recommender's share of a real search's wall time, and the cost of loading the shipped knowledge.

Usage: python benchmarks/search_overhead.py [--evals 30] [--write docs/BENCHMARKS.md]
Runs a PMF search of --evals evaluations (one worker) on scikit-learn's bundled breast-cancer
and diabetes datasets and reports the seconds spent in the recommender (suggest + predict)
against the search's wall time.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_diabetes

from automl_engine import AutoML
from automl_engine.knowledge.artifact import load_knowledge
from automl_engine.knowledge.recommender_io import load_recommender

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import publish  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--evals", type=int, default=30)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args(argv)
    lines = ["| what | figure |", "|---|---|"]
    for task_type in ("classification", "regression"):
        start = time.perf_counter()
        load_knowledge(task_type)
        load_recommender(task_type)
        lines.append(f"| load shipped knowledge + recommender ({task_type}) | {time.perf_counter() - start:.3f} s |")
    for name, loader in (("breast_cancer", load_breast_cancer), ("diabetes", load_diabetes)):
        data = loader(as_frame=True)
        model = AutoML(max_evals=args.evals, random_state=0, learn=False, ensemble=False)
        model.fit(data.data, data.target)
        stats = model.search_stats_
        share = stats["recommender_seconds"] / stats["search_seconds"]
        lines.append(f"| {name}: {args.evals}-evaluation search, wall time | {stats['search_seconds']:.1f} s |")
        lines.append(f"| {name}: time in the recommender (suggest + predict) | "
                     f"{stats['recommender_seconds']:.2f} s ({100 * share:.2f}%) |")
    publish("\n".join(lines), args.write, "search-overhead",
            f"python benchmarks/search_overhead.py --evals {args.evals} --write {args.write}",
            f"load average {os.getloadavg()[0]:.1f} at the end.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
