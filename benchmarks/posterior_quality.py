"""How well the recommender predicts a held-out dataset's scores as observations come in.

For each fold of a 5-fold split of the meta-train datasets, the recommender is fitted on the
other folds; on each held-out dataset, k of its observed pipelines (chosen at random) are given
to ``predict`` and the Spearman correlation between the predicted and the stored scores of its
other observed pipelines is recorded. A model whose conditioning helps gets better as k grows;
k = 0 is the prior mean (each pipeline's average score over the training rows,
in the units the recommender was fitted in).

Usage:
    python benchmarks/posterior_quality.py [--write docs/BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from automl_engine.knowledge.artifact import load_knowledge
from automl_engine.knowledge.recommender_io import fit_recommender

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import publish  # noqa: E402

OBSERVED = (0, 5, 10, 20, 40)
VARIANTS = {
    "as shipped (transfer kernel)": {},
    "no descriptors, noise 0.5": {"descriptor_variance": 0.0},
    "fitted kernel alone (noise 1e-3, no descriptors)": {"descriptor_variance": 0.0, "posterior_noise": 1e-3},
}


def correlations(task_type: str, n_folds: int = 5, seed: int = 0) -> dict:
    knowledge = load_knowledge(task_type)
    Y = knowledge.training_matrix()
    rows = np.flatnonzero(knowledge.train)
    folds = np.array_split(np.random.default_rng(seed).permutation(rows), n_folds)
    out = {name: {k: [] for k in OBSERVED} for name in VARIANTS}
    for fold in folds:
        mask = knowledge.train.copy()
        mask[fold] = False
        shipped = fit_recommender(knowledge, random_state=seed, rows=mask)
        for name, params in VARIANTS.items():
            rec = shipped.with_params(**params) if params else shipped
            rng = np.random.default_rng(seed + 1)
            for i in fold:
                available = np.flatnonzero(knowledge.status[i] != 0)
                for k in OBSERVED:
                    if len(available) < k + 10:
                        continue
                    seen = rng.choice(available, k, replace=False)
                    rest = np.setdiff1d(available, seen)
                    mean, _ = rec.predict({int(j): float(Y[i, j]) for j in seen})
                    rho = spearmanr(mean[rest], Y[i, rest])[0]
                    if np.isfinite(rho):
                        out[name][k].append(rho)
    return {"n": len(rows), "results": out}


def to_markdown(task_type: str, found: dict) -> str:
    lines = [f"**{task_type}** — {found['n']} meta-train datasets, 5 folds; mean Spearman correlation "
             "(higher is better) after k observed scores", "",
             "| model | " + " | ".join(f"k = {k}" for k in OBSERVED) + " |", "|---|" + "---|" * len(OBSERVED)]
    for name, by_k in found["results"].items():
        lines.append(f"| {name} | " + " | ".join(f"{np.mean(by_k[k]):.3f}" for k in OBSERVED) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args(argv)
    start = time.time()
    report = "\n\n".join(to_markdown(t, correlations(t)) for t in ("classification", "regression"))
    publish(report, args.write, "posterior-quality", f"python benchmarks/posterior_quality.py --write {args.write}",
            f"ran in {time.time() - start:.0f} s while the knowledge build used both cores.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
