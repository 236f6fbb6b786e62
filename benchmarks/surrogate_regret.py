"""Surrogate benchmark (the PMF paper's protocol): replay searches on the stored performance matrix.

On held-out datasets (the meta-test split, never used to fit), "evaluating" pipeline d returns
the stored score. Regret = best stored score in the row − best found so far (a failed pipeline
scores its row's worst; R² below −1 counts as −1). Compared: PMF as shipped (embeddings + warm
start + EI), PMF without warm start (no meta-features: no fixed first picks and no
neighbours' prior, ``neighbour_prior``), the other side of the GP-LVM choice (PCA embeddings without
the refinement where the shipped recommender is refined, as in classification; the refined
embeddings where it is not, as in regression: ``SHIPPED_PARAMS``), and random search with 1×, 2×
and 4× the evaluations.

Usage:
    python benchmarks/surrogate_regret.py [--protocol split|cv|loo] [--write docs/BENCHMARKS.md]

``cv`` holds out each fifth of the meta-train datasets in turn (fit on the other four fifths),
``loo`` each meta-train dataset: more held-out rows while the meta-test split is small; the
meta-test rows are still never used.

``--variant NAME=VALUE[,NAME=VALUE]`` replays PMF with other PMFRecommender parameters, or with the
research settings the engine no longer has (``warm_start=nearest_best|portfolio``, ``units=prior``,
``row_scores=standardised``), which benchmarks/recommender_variants.py implements. ``--limit N``
replays only the first N held-out datasets of each task type (a quick check, not a figure).
``--knowledge DIR`` replays the matrices of another folder (a build's work in progress, e.g.
``artifacts/knowledge-1.1.0``) instead of the package's; ``--min-rows N`` only the held-out datasets
whose table has N rows or more (by its ``n_rows`` meta-feature). Each table ends with PMF against
random search with 4× the evaluations at 10 evaluations: the mean paired difference, its standard
error and a sign test over the held-out datasets. ``--fidelity-use replace|replace_centred`` fits the
recommenders on the first fidelity merged with the second (``<task type>_at_5000_rows.npz`` of the same
folder; automl_engine/knowledge/fidelity.py) while the truth stays the first fidelity's scores: it checks
that the second fidelity does not hurt the tables it is not about.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from automl_engine.knowledge.artifact import data_dir, load_knowledge
from automl_engine.knowledge.build import BuildSettings
from automl_engine.knowledge.fidelity import combine_fidelities, second_fidelity_path
from automl_engine.knowledge.recommender_io import fit_recommender
from automl_engine.recommender import PMFRecommender
from automl_engine.recommender.state import SUGGEST_TIME_PARAMS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_report import paired_difference, sign_test  # noqa: E402
from recommender_variants import refits, split_params  # noqa: E402
from report import write_section  # noqa: E402

CHECKPOINTS = (1, 3, 5, 10, 25, 50)
RANDOM_SEEDS = 20
ROOT = Path(__file__).resolve().parents[1]


def replay(recommender, scores: np.ndarray, available: np.ndarray, meta, budget: int) -> np.ndarray:
    """Best score found after each of ``budget`` recommender picks, restricted to available entries."""
    unavailable = tuple(np.flatnonzero(~available))
    observed: dict[int, float] = {}
    best = []
    for _ in range(min(budget, int(available.sum()))):
        pick = recommender.suggest(observed, n=1, meta_features=meta, exclude=unavailable)[0]
        observed[pick] = float(scores[pick])
        best.append(max(observed.values()))
    return _pad(np.array(best), budget)


def random_curves(scores: np.ndarray, available: np.ndarray, budget: int, seeds: int) -> np.ndarray:
    """Best-so-far curves of uniform random search, one row per seed."""
    idx = np.flatnonzero(available)
    curves = []
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(idx)[:budget]
        curves.append(_pad(np.maximum.accumulate(scores[order]), budget))
    return np.array(curves)


def _pad(curve: np.ndarray, budget: int) -> np.ndarray:
    return np.concatenate([curve, np.full(budget - len(curve), curve[-1] if len(curve) else np.nan)])


def fit_variants(knowledge, rows: np.ndarray, seed: int = 0, extra: tuple = ()) -> dict:
    """PMF as shipped, its ablations, and PMF with each ``extra`` parameter override ("name=value")."""
    def fit(**params):
        return fit_recommender(knowledge, random_state=seed, rows=rows, **params)

    pmf = fit()
    refined_steps = PMFRecommender().n_iter
    refinement = (("PCA embeddings (no GP-LVM)", fit(n_iter=0)) if pmf.n_iter else  # the other side of the choice
                  (f"GP-LVM refined ({refined_steps} steps)", fit(n_iter=refined_steps)))
    variants = {"PMF": (pmf, True), "PMF, no warm start": (pmf, False), refinement[0]: (refinement[1], True),
                "PMF, no catalogue descriptors": (pmf.with_params(descriptor_variance=0.0), True)}
    for override in extra:  # "name=value" or "name=value,name=value"
        cls, params = split_params(dict(_parse_value(*item.split("=", 1)) for item in override.split(",")))
        if refits(cls) or not set(params) <= SUGGEST_TIME_PARAMS:
            rec = fit(recommender_class=cls, **params)
        else:  # the shipped fit, other suggest-time settings
            rec = cls.from_state(pmf.get_state()).with_params(**params)
        variants[f"PMF, {override}"] = (rec, True)
    return variants


def _parse_value(name: str, value: str):
    if value in ("True", "False"):
        return name, value == "True"
    if value.isdigit():
        return name, int(value)
    if value.replace(".", "", 1).isdigit():
        return name, float(value)
    return name, value


def held_out_rows(knowledge, protocol: str, n_folds: int = 5):
    """(train mask, held-out row) pairs."""
    train = knowledge.train.copy()
    if protocol == "split":
        return [(train, i) for i in np.flatnonzero(~train)]
    rows = np.flatnonzero(train)
    if protocol == "cv":  # folds of meta-train datasets, fixed by a seeded shuffle
        groups = np.array_split(np.random.default_rng(0).permutation(rows), n_folds)
    else:
        groups = [[i] for i in rows]
    pairs = []
    for group in groups:
        mask = train.copy()
        mask[group] = False
        pairs.extend((mask, i) for i in group)
    return pairs


def table_rows(knowledge) -> np.ndarray:
    """Each dataset's table size (its ``n_rows`` meta-feature: the full table, not the build's sample)."""
    return knowledge.meta_features[:, list(knowledge.meta_feature_names).index("n_rows")]


def run(task_type: str, protocol: str, budget: int = max(CHECKPOINTS), extra: tuple = (),
        limit: int | None = None, knowledge_dir: Path | None = None, min_rows: int = 0,
        fidelity_use: str = "first") -> pd.DataFrame:
    folder = knowledge_dir or data_dir()
    knowledge = load_knowledge(task_type, folder / f"{task_type}.npz")
    Y_all = knowledge.training_matrix()  # failures count as the row's worst; R² floored at −1
    second_path = second_fidelity_path(folder, task_type, BuildSettings.fidelity_rows)
    second = load_knowledge(task_type, second_path) if second_path.exists() else None
    training = combine_fidelities(knowledge, second, fidelity_use)  # same rows: the truth stays Y_all
    rows = []
    fitted = {}
    large = table_rows(knowledge) >= min_rows
    for mask, i in [(mask, i) for mask, i in held_out_rows(knowledge, protocol) if large[i]][:limit]:
        key = mask.tobytes()
        if key not in fitted:
            fitted[key] = fit_variants(training, mask, extra=extra)
        scores, available = Y_all[i], knowledge.status[i] != 0
        if available.sum() < 2:
            continue
        best = np.nanmax(scores[available])
        curves = {name: replay(rec, scores, available, knowledge.meta_features[i] if warm else None, budget)
                  for name, (rec, warm) in fitted[key].items()}
        rand = random_curves(scores, available, 4 * budget, RANDOM_SEEDS)
        for t in CHECKPOINTS:
            record = {"dataset": knowledge.datasets[i], "evaluations": t}
            for name, curve in curves.items():
                record[name] = best - curve[t - 1]
            for factor in (1, 2, 4):
                record[f"random ×{factor}"] = float(np.mean(best - rand[:, factor * t - 1]))
            rows.append(record)
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    systems = [c for c in results.columns if c not in ("dataset", "evaluations")]
    mean = results.groupby("evaluations")[systems].mean()
    median = results.groupby("evaluations")[systems].median()
    return pd.concat({"mean": mean, "median": median}, axis=1)


def chart(results_by_type: dict, path: Path) -> None:
    import altair as alt

    frames = []
    for task_type, results in results_by_type.items():
        systems = [c for c in results.columns if c not in ("dataset", "evaluations")]
        long = results.groupby("evaluations")[systems].mean().reset_index().melt("evaluations", var_name="system",
                                                                                 value_name="mean regret")
        long["task type"] = task_type
        frames.append(long)
    data = pd.concat(frames)
    plot = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("evaluations:Q", scale=alt.Scale(type="log")), y="mean regret:Q", color="system:N",
        strokeDash=alt.condition("indexof(datum.system, 'random') >= 0", alt.value([4, 3]), alt.value([1, 0])),
    ).properties(width=320, height=240).facet(column="task type:N").resolve_scale(y="independent")
    plot.save(str(path), scale_factor=1.5)


def versus_random(results: pd.DataFrame, evaluations: int = 10, factor: int = 4) -> str:
    """PMF against random search with ``factor``× the evaluations at ``evaluations``: paired, per dataset."""
    at = results[results["evaluations"] == evaluations]
    mean, se, n = paired_difference(at["PMF"], at[f"random ×{factor}"])
    diff = at["PMF"] - at[f"random ×{factor}"]
    wins, losses = int((diff < -1e-9).sum()), int((diff > 1e-9).sum())
    return (f"PMF − random ×{factor} at {evaluations} evaluations (regret, lower is better): {mean:+.4f} "
            f"± {se:.4f} (paired SE, {n} datasets); PMF lower on {wins}, higher on {losses}, equal on "
            f"{n - wins - losses} (sign test p = {sign_test(wins, losses):.2f}).")


def to_markdown(summary: pd.DataFrame, n_rows: int, task_type: str, results: pd.DataFrame | None = None) -> str:
    lines = [f"**{task_type}** — {n_rows} held-out datasets; mean regret (lower is better), median in brackets",
             ""]
    systems = list(summary["mean"].columns)
    lines.append("| evaluations | " + " | ".join(systems) + " |")
    lines.append("|---|" + "---|" * len(systems))
    for t in summary.index:
        cells = [f"{summary['mean'].loc[t, s]:.4f} ({summary['median'].loc[t, s]:.4f})" for s in systems]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    if results is not None and 10 in summary.index:
        lines += ["", versus_random(results)]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=("split", "cv", "loo"), default="split")
    parser.add_argument("--write", type=Path, default=None, help="markdown file to update (section between markers)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=VALUE",
                        help="also replay PMF with these PMFRecommender parameters or research settings of "
                             "benchmarks/recommender_variants.py (repeatable), e.g. "
                             "warm_start=portfolio,n_warm_start=10")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="replay only the first N held-out datasets per task type (a quick check; "
                             "not with --write)")
    parser.add_argument("--task-type", choices=("classification", "regression", "all"), default="all")
    parser.add_argument("--knowledge", type=Path, default=None, metavar="DIR",
                        help="folder of the matrices to replay (default: the package's shipped knowledge)")
    parser.add_argument("--fidelity-use", choices=("first", "replace", "replace_centred"), default="first",
                        help="how the recommenders' training matrix uses the second fidelity (the truth is the first)")
    parser.add_argument("--min-rows", type=int, default=0, metavar="N",
                        help="replay only held-out datasets whose table has at least N rows")
    parser.add_argument("--per-dataset", type=Path, default=None, metavar="CSV",
                        help="also write every held-out dataset's regrets (one row per dataset and checkpoint)")
    args = parser.parse_args(argv)
    if args.limit is not None and args.write:
        parser.error("--limit gives a quick check, not a figure: leave out --write.")
    start = time.time()
    results, sections = {}, []
    task_types = ("classification", "regression") if args.task_type == "all" else (args.task_type,)
    for task_type in task_types:
        frame = run(task_type, args.protocol, extra=tuple(args.variant), limit=args.limit,
                    knowledge_dir=args.knowledge, min_rows=args.min_rows, fidelity_use=args.fidelity_use)
        if frame.empty:
            sections.append(f"**{task_type}** — no held-out datasets with observations yet.")
            continue
        results[task_type] = frame
        sections.append(to_markdown(summarise(frame), frame["dataset"].nunique(), task_type, frame))
    report = "\n\n".join(sections)
    if args.per_dataset and results:
        pd.concat([frame.assign(task_type=t) for t, frame in results.items()]).to_csv(args.per_dataset, index=False)
    print(report)
    if args.write and results:
        name = args.protocol + (f"_{args.min_rows}rows" if args.min_rows else "") + (
            f"_{args.fidelity_use}" if args.fidelity_use != "first" else "")
        image = ROOT / "docs" / "img" / f"regret_{name}.png"
        chart(results, image)
        options = "".join(f" --variant {v}" for v in args.variant)
        if args.task_type != "all":
            options += f" --task-type {args.task_type}"
        if args.knowledge:
            options += f" --knowledge {args.knowledge}"
        if args.min_rows:
            options += f" --min-rows {args.min_rows}"
        if args.fidelity_use != "first":
            options += f" --fidelity-use {args.fidelity_use}"
        if args.per_dataset:
            options += f" --per-dataset {args.per_dataset}"
        header = (f"Command: `python benchmarks/surrogate_regret.py --protocol {args.protocol}{options} "
                  f"--write {args.write}`  \n"
                  f"Machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}, "
                  f"ran in {time.time() - start:.0f} s.\n\n")
        write_section(args.write, f"surrogate-{name}", header + report +
                      f"\n\n![regret]({image.relative_to(args.write.resolve().parent)})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
