"""Fit AutoGluon on one train table and predict one test table; runs in AutoGluon's own venv.

benchmarks/peers_large.py starts it with .venv-autogluon/bin/python (scripts/autogluon_venv.sh
makes that venv), so AutoGluon's pins never meet the package's. It imports nothing of this
project. The test score is computed by the caller from the predictions, with the same function
as for the other systems.

Usage:
    python autogluon_worker.py --train TRAIN.parquet --test TEST.parquet --label COL
        --problem-type binary|multiclass|regression --preset medium_quality|best_quality
        --time-limit SECONDS --out RESULT.json
RESULT.json: status ("ok" or "error"), predictions (test rows, in order), val_score (the
validation score AutoGluon reports for the model that predicts: balanced accuracy or R²),
fit_seconds, cpu_seconds (this process and its children), models (how many were fitted),
best_model, error.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
import traceback

# Models AutoGluon's presets list that cannot run here: torch is not installed (no neural networks).
EXCLUDED_MODEL_TYPES = ["NN_TORCH", "FASTAI"]
EVAL_METRIC = {"binary": "balanced_accuracy", "multiclass": "balanced_accuracy", "regression": "r2"}


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def thresholded_val_score(predictor, model: str) -> float:
    """Balanced accuracy of ``model`` on AutoGluon's validation rows (out-of-fold when bagged) at the
    decision threshold it calibrated, which ``score_val`` (at 0.5) does not include."""
    from sklearn.metrics import balanced_accuracy_score

    data = "val" if predictor.has_val else "train"
    y = predictor.load_data_internal(data, return_X=False, return_y=True)[1]
    predicted = predictor.predict_multi(models=[model], transform_features=False, inverse_transform=False)[model]
    return float(balanced_accuracy_score(y, predicted.loc[y.index] if hasattr(predicted, "loc") else predicted))


def fit_predict(args) -> dict:
    """Fit on ``args.train`` within ``args.time_limit`` seconds on ``args.num_cpus`` cores; predict ``args.test``."""
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    train, test = pd.read_parquet(args.train), pd.read_parquet(args.test)
    folder = tempfile.mkdtemp(prefix="autogluon-")
    try:
        predictor = TabularPredictor(label=args.label, problem_type=args.problem_type,
                                     eval_metric=EVAL_METRIC[args.problem_type], path=folder, verbosity=0)
        cpu_start, start = cpu_seconds(), time.perf_counter()
        predictor.fit(train, time_limit=args.time_limit, presets=args.preset, num_cpus=args.num_cpus, num_gpus=0,
                      excluded_model_types=EXCLUDED_MODEL_TYPES)
        fit_seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
        board = predictor.leaderboard(silent=True)
        best = predictor.model_best
        val = board.loc[board["model"] == best, "score_val"]
        val = float(val.iloc[0]) if len(val) else None
        if args.problem_type == "binary" and predictor.decision_threshold not in (None, 0.5):
            val = thresholded_val_score(predictor, best)
        predictions = predictor.predict(test.drop(columns=[args.label], errors="ignore"))
        return {"status": "ok", "predictions": predictions.tolist(), "val_score": val, "fit_seconds": fit_seconds,
                "cpu_seconds": cpu, "models": int(len(board)), "best_model": best, "error": ""}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--problem-type", required=True, choices=sorted(EVAL_METRIC))
    parser.add_argument("--preset", default="medium_quality")
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--num-cpus", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        result = fit_predict(args)
    except Exception as exc:  # noqa: BLE001 - reported to the harness as the run's status
        traceback.print_exc()
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
