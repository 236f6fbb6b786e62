"""How each family's evaluation time grows with the rows, measured on the build's two fidelities.

The catalogue declares per family ``cost ~ rows^a * columns^b`` (spec.json ``cost``), and the search's
cost model scales the knowledge's 800-row timings to a table's size with it. The second fidelity times
the anchor pipelines of every large corpus dataset again on 5,000 rows (the same columns, folds and
pipeline), so each such pair gives a measured exponent: log(work at 5,000 / work at 800) / log(6.25),
where work is the wall time less the per-evaluation overhead (the cost model's: the 1% quantile of the
knowledge's wall times). Reported per family: the declared exponent, the median measured one, its
quartiles, and the pairs it rests on (pairs whose 800-row work is under 0.05 s are left out: they are
all overhead and noise).

Usage:
    python benchmarks/cost_exponents.py --knowledge artifacts/knowledge-1.1.0 [--write docs/KNOWLEDGE.md]
"""
from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from automl_engine.catalogue import family_costs, load_catalogue
from automl_engine.knowledge.artifact import STATUS_CODES, load_knowledge
from automl_engine.knowledge.build import BuildSettings
from automl_engine.knowledge.fidelity import second_fidelity_path, twin_rows
from automl_engine.search.cost_model import OVERHEAD_QUANTILE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import markdown_table, write_section  # noqa: E402

MIN_WORK = 0.05
ROOT = Path(__file__).resolve().parents[1]


def measured_exponents(task_type: str, folder: Path, rows: int = BuildSettings.fidelity_rows) -> pd.DataFrame:
    """One row per (dataset, pipeline) timed ok at both fidelities: family, work at each size, exponent."""
    first = load_knowledge(task_type, folder / f"{task_type}.npz")
    second = load_knowledge(task_type, second_fidelity_path(folder, task_type, rows))
    families = np.asarray(load_catalogue(task_type).families)
    walls = np.asarray(first.wall_times, dtype=float)
    overhead = float(np.quantile(walls[np.isfinite(walls) & (walls > 0)], OVERHEAD_QUANTILE))
    n_rows = first.meta_features[:, list(first.meta_feature_names).index("n_rows")]
    ok = STATUS_CODES["ok"]
    records = []
    for j, i in enumerate(twin_rows(first, second)):
        if i < 0:
            continue
        ratio = rows / min(float(n_rows[i]), BuildSettings.max_rows)
        both = (first.status[i] == ok) & (second.status[j] == ok)
        for p in np.flatnonzero(both):
            small = float(first.wall_times[i, p]) - overhead
            large = float(second.wall_times[j, p]) - overhead
            if small < MIN_WORK or large <= 0:
                continue
            records.append({"dataset": str(first.datasets[i]), "family": families[p], "work_800": small,
                            "work_5000": large, "exponent": np.log(large / small) / np.log(ratio)})
    return pd.DataFrame(records)


def summary(task_type: str, pairs: pd.DataFrame) -> pd.DataFrame:
    declared = family_costs(task_type)
    grouped = pairs.groupby("family")["exponent"]
    return pd.DataFrame({
        "declared": {f: declared[f]["rows"] for f in grouped.groups},
        "measured (median)": grouped.median(), "25%": grouped.quantile(0.25), "75%": grouped.quantile(0.75),
        "pairs": grouped.size(), "datasets": pairs.groupby("family")["dataset"].nunique(),
    }).round(2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=ROOT / "automl_engine" / "knowledge" / "data", metavar="DIR")
    parser.add_argument("--write", type=Path, default=None, help="markdown file to update (section between markers)")
    args = parser.parse_args(argv)
    sections = []
    for task_type in ("classification", "regression"):
        if not second_fidelity_path(args.knowledge, task_type, BuildSettings.fidelity_rows).exists():
            continue
        pairs = measured_exponents(task_type, args.knowledge)
        if pairs.empty:
            continue
        sections.append(f"**{task_type}** ({pairs['dataset'].nunique()} datasets)\n\n"
                        + markdown_table(summary(task_type, pairs), "family"))
    report = "\n\n".join(sections) or "No dataset has timings at both fidelities yet."
    print(report)
    if args.write:
        header = (f"Command: `python benchmarks/cost_exponents.py --knowledge {args.knowledge} --write {args.write}`"
                  f"  \nMachine: {platform.machine()}, Python {platform.python_version()}\n\n")
        write_section(args.write, "cost-exponents", header + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
