"""Replay at the second fidelity: which use of the 5,000-row scores picks the best pipelines for a large table.

Issue 19 item 3. The build measures every corpus dataset on an 800-row sample and each dataset of
5,000 rows or more also on a 5,000-row sample (anchor pipelines only). For a held-out large dataset
the truth here is its **5,000-row** scores: the recommender, fitted on the other datasets with the
second fidelity used as in ``automl_engine.knowledge.fidelity.FIDELITY_USES``, picks among the
pipelines measured there; regret = best 5,000-row score − best found so far (failures score the
row's worst). A dataset's two rows are held out together. Also replayed, as references: random
search (1× and 2× the evaluations, mean over 20 seeds) and "own 800-row order" (the held-out table's
own 800-row scores order its pipelines: what measuring on a small sample first would pick; only for the
datasets with both rows). Every use trains on the large datasets that have both rows (``twinned``), so
they compare on the same information; a held-out dataset needs only its 5,000-row row.

Protocols: ``cv`` (5 folds of the meta-train datasets with a second-fidelity row) to choose; ``split``
(the meta-test datasets, fitted on all meta-train rows) to report once the choice is made.

Usage:
    python benchmarks/fidelity_replay.py [--knowledge artifacts/knowledge-1.1.0] [--protocol cv|split]
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from automl_engine.knowledge.artifact import STATUS_CODES, load_knowledge
from automl_engine.knowledge.build import BuildSettings
from automl_engine.knowledge.fidelity import (
    FIDELITY_USES,
    base_name,
    combine_fidelities,
    second_fidelity_path,
    twin_rows,
)
from automl_engine.knowledge.recommender_io import fit_recommender

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_report import paired_difference, sign_test  # noqa: E402
from report import write_section  # noqa: E402
from surrogate_regret import RANDOM_SEEDS, random_curves, replay  # noqa: E402

CHECKPOINTS = (1, 3, 5, 10)
ROOT = Path(__file__).resolve().parents[1]


def held_out_groups(second, protocol: str, n_folds: int = 5) -> list[list[str]]:
    """Groups of base dataset names held out together (every one has a second-fidelity row)."""
    names = sorted({base_name(n) for n in second.datasets})
    train = {base_name(n) for n, s in zip(second.datasets, second.splits) if s != "test"}
    if protocol == "split":
        return [[n for n in names if n not in train]]
    pool = np.random.default_rng(0).permutation([n for n in names if n in train])
    return [list(group) for group in np.array_split(pool, n_folds)]


def own_order_curve(truth: np.ndarray, available: np.ndarray, small: np.ndarray, budget: int) -> np.ndarray:
    """Best-so-far when the pipelines are taken in the order of the table's own 800-row scores."""
    idx = np.flatnonzero(available)
    order = idx[np.argsort(-np.where(np.isfinite(small[idx]), small[idx], -np.inf), kind="stable")][:budget]
    curve = np.maximum.accumulate(truth[order])
    return np.concatenate([curve, np.full(budget - len(curve), curve[-1])])


def twinned(first, second):
    """The second-fidelity rows whose dataset also has a first-fidelity row: what every use can train on (a
    build that ran the second fidelity first has some large datasets at 5,000 rows only, for a while)."""
    keep = twin_rows(first, second) >= 0
    fields = ("datasets", "tasks", "splits", "scores", "status", "wall_times", "meta_features")
    return replace(second, **{field: getattr(second, field)[keep] for field in fields})


def run(task_type: str, folder: Path, protocol: str, uses=FIDELITY_USES, rows: int = BuildSettings.fidelity_rows,
        budget: int = max(CHECKPOINTS)) -> pd.DataFrame:
    first = load_knowledge(task_type, folder / f"{task_type}.npz")
    second_path = second_fidelity_path(folder, task_type, rows)
    if not second_path.exists():
        return pd.DataFrame()
    second = load_knowledge(task_type, second_path)
    training_second = twinned(first, second)
    small_scores, truth_all = first.training_matrix(), second.training_matrix()
    first_row = {str(n): i for i, n in enumerate(first.datasets)}
    records = []
    for group in held_out_groups(second, protocol):
        held = list(group)
        fitted = {}
        for use in uses:
            merged = combine_fidelities(first, training_second, use)
            mask = merged.train & ~np.isin([base_name(n) for n in merged.datasets], held)
            fitted[use] = fit_recommender(merged, rows=mask)
        for j in [j for j, n in enumerate(second.datasets) if base_name(n) in held]:
            name = base_name(second.datasets[j])
            available = second.status[j] != STATUS_CODES["unobserved"]
            if available.sum() < 2:
                continue
            truth = truth_all[j]
            best = np.nanmax(truth[available])
            curves = {use: replay(rec, truth, available, second.meta_features[j], budget)
                      for use, rec in fitted.items()}
            if name in first_row:
                curves["own 800-row order"] = own_order_curve(truth, available, small_scores[first_row[name]], budget)
            rand = random_curves(truth, available, 2 * budget, RANDOM_SEEDS)
            for t in CHECKPOINTS:
                record = {"dataset": name, "evaluations": t, "candidates": int(available.sum())}
                record.update({system: best - curve[t - 1] for system, curve in curves.items()})
                for factor in (1, 2):
                    record[f"random ×{factor}"] = float(np.mean(best - rand[:, factor * t - 1]))
                records.append(record)
    return pd.DataFrame(records)


def rank_agreement(task_type: str, folder: Path, rows: int = BuildSettings.fidelity_rows) -> dict:
    """How far the 800-row scores of a large table predict its 5,000-row ones, over the pipelines with both."""
    from scipy.stats import spearmanr

    first = load_knowledge(task_type, folder / f"{task_type}.npz")
    second_path = second_fidelity_path(folder, task_type, rows)
    if not second_path.exists():
        return {}
    second = load_knowledge(task_type, second_path)
    ok = STATUS_CODES["ok"]
    rhos, gains, same_best = [], [], []
    for j, i in enumerate(twin_rows(first, second)):
        both = (first.status[i] == ok) & (second.status[j] == ok) if i >= 0 else np.zeros(1, bool)
        if both.sum() < 5:
            continue
        small, large = first.scores[i, both].astype(float), second.scores[j, both].astype(float)
        rhos.append(spearmanr(small, large).statistic)
        gains.append(float(np.mean(large - small)))
        same_best.append(bool(np.argmax(small) == np.argmax(large)))
    if not rhos:
        return {}
    return {"datasets": len(rhos), "median Spearman 800 vs 5,000": float(np.nanmedian(rhos)),
            "mean score gain 800 → 5,000": float(np.mean(gains)), "same best pipeline": float(np.mean(same_best))}


def to_markdown(frame: pd.DataFrame, task_type: str, agreement: dict, reference: str = "first") -> str:
    systems = [c for c in frame.columns if c not in ("dataset", "evaluations", "candidates")]
    mean = frame.groupby("evaluations")[systems].mean()
    lines = [f"**{task_type}** — {frame['dataset'].nunique()} held-out large datasets, "
             f"{frame['candidates'].median():.0f} pipelines measured at 5,000 rows each (median); "
             "mean regret at 5,000 rows (lower is better)", "",
             "| evaluations | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
    for t in mean.index:
        lines.append(f"| {t} | " + " | ".join(f"{mean.loc[t, s]:.4f}" for s in systems) + " |")
    lines.append("")
    at = frame[frame["evaluations"] == 5]
    for use in [s for s in systems if s in FIDELITY_USES and s != reference]:
        diff, se, n = paired_difference(at[use], at[reference])
        delta = at[use] - at[reference]
        wins, losses = int((delta < -1e-9).sum()), int((delta > 1e-9).sum())
        lines.append(f"- at 5 evaluations, `{use}` − `{reference}`: {diff:+.4f} ± {se:.4f} (paired SE, {n}); "
                     f"lower on {wins}, higher on {losses} (sign test p = {sign_test(wins, losses):.2f})")
    if agreement:
        lines.append("- " + "; ".join(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}"
                                      for k, v in agreement.items()))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=ROOT / "automl_engine" / "knowledge" / "data",
                        metavar="DIR", help="folder with both fidelities' matrices")
    parser.add_argument("--protocol", choices=("cv", "split"), default="cv")
    parser.add_argument("--task-type", choices=("classification", "regression", "all"), default="all")
    parser.add_argument("--uses", nargs="+", choices=FIDELITY_USES, default=list(FIDELITY_USES))
    parser.add_argument("--write", type=Path, default=None, help="markdown file to update (section between markers)")
    parser.add_argument("--per-dataset", type=Path, default=None, metavar="CSV")
    args = parser.parse_args(argv)
    start = time.time()
    task_types = ("classification", "regression") if args.task_type == "all" else (args.task_type,)
    sections, frames = [], []
    for task_type in task_types:
        frame = run(task_type, args.knowledge, args.protocol, uses=tuple(args.uses))
        if frame.empty:
            sections.append(f"**{task_type}** — no held-out dataset has second-fidelity scores yet.")
            continue
        frames.append(frame.assign(task_type=task_type))
        sections.append(to_markdown(frame, task_type, rank_agreement(task_type, args.knowledge)))
    report = "\n\n".join(sections)
    print(report)
    if args.per_dataset and frames:
        pd.concat(frames).to_csv(args.per_dataset, index=False)
    if args.write:
        header = (f"Command: `python benchmarks/fidelity_replay.py --knowledge {args.knowledge} --protocol "
                  f"{args.protocol} --write {args.write}`  \nMachine: {platform.machine()}, Python "
                  f"{platform.python_version()}, ran in {time.time() - start:.0f} s.\n\n")
        write_section(args.write, f"fidelity-replay-{args.protocol}", header + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
