"""Frames the pages show, built from a search's records and recommender (no streamlit here)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from automl_app.outcomes import board_display, clip_to_metric
from automl_engine.search.leaderboard import make_leaderboard


def leaderboard(records: list[dict], automl=None) -> pd.DataFrame:
    """Every evaluated pipeline, best first (with the ensemble row of a fitted AutoML)."""
    if automl is not None and getattr(automl, "leaderboard_", None) is not None:
        board = automl.leaderboard_
        if len(board) >= len(records):
            return board
    return make_leaderboard(records)


def board(records: list[dict], automl=None, metric: str | None = None) -> pd.DataFrame:
    """The leaderboard as the Search, Leaderboard and History pages show it (see outcomes.board_display)."""
    metric = metric or getattr(automl, "metric_", None)
    return board_display(leaderboard(records, automl), records, metric)


def convergence_frame(records: list[dict], metric: str | None = None) -> pd.DataFrame:
    """One row per evaluation: score, best so far, predicted score ± std (see charts.convergence_chart);
    predictions are clipped to ``metric``'s range (a predicted R² stays at most 1)."""
    rows = []
    best = -np.inf
    for r in records:
        score = r.get("score")
        ok = r.get("status") == "ok" and score is not None and np.isfinite(score)
        if ok:
            best = max(best, float(score))
        mean, std = r.get("predicted_score"), r.get("predicted_std")
        has_pred = mean is not None and np.isfinite(mean)
        std = float(std) if has_pred and std is not None and np.isfinite(std) else 0.0
        clip = (lambda v: clip_to_metric(v, metric)) if metric else float
        rows.append({
            "iteration": int(r["iteration"]), "score": float(score) if ok else np.nan,
            "best": best if np.isfinite(best) else np.nan, "predicted": clip(float(mean)) if has_pred else np.nan,
            "std": std if has_pred else np.nan, "lo": clip(float(mean) - std) if has_pred else np.nan,
            "hi": clip(float(mean) + std) if has_pred else np.nan, "description": r.get("description", ""),
            "source": r.get("source", ""), "status": r.get("status", ""),
        })
    return pd.DataFrame(rows, columns=["iteration", "score", "best", "predicted", "std", "lo", "hi",
                                       "description", "source", "status"])


def has_latent_space(recommender) -> bool:
    return recommender is not None and hasattr(recommender, "project_2d") and hasattr(recommender, "embeddings_")


def latent_frame(recommender, catalogue, records: list[dict], mean=None, std=None,
                 meta_features: dict | None = None) -> pd.DataFrame:
    """Every catalogue pipeline at ``recommender.project_2d()`` with the posterior after ``records``.

    ``mean``/``std`` (the latest event's posterior) are used when given, else computed (with the
    dataset's ``meta_features``, which a recommender with ``neighbour_prior`` uses, as the search did).
    """
    coords = np.asarray(recommender.project_2d(), dtype=float)
    if mean is None or std is None:
        observed = {int(r["pipeline_index"]): (float(r["score"]) if r.get("status") == "ok" else np.nan)
                    for r in records}
        from automl_engine.knowledge.metafeatures import meta_feature_vector

        vector = None if not meta_features else meta_feature_vector(meta_features)
        mean, std = recommender.predict(observed, meta_features=vector)
    order = np.full(len(coords), np.nan)
    score = np.full(len(coords), np.nan)
    for position, r in enumerate(records, start=1):
        i = int(r["pipeline_index"])
        if 0 <= i < len(coords):
            order[i] = position
            score[i] = r["score"] if r.get("status") == "ok" and r.get("score") is not None else np.nan
    pipelines = catalogue.pipelines
    return pd.DataFrame({
        "x": coords[:, 0], "y": coords[:, 1],
        "description": [p.description for p in pipelines], "family": [p.family for p in pipelines],
        "mean": np.asarray(mean, dtype=float), "std": np.asarray(std, dtype=float), "order": order, "score": score,
    })


def warm_start_explanation(recommender) -> str:
    """How the past datasets most similar to this one steer ``recommender``'s picks, in a sentence or two."""
    similar = "the past datasets most similar to this one (by size, column mix, target, and quick landmark models)"
    prior = bool(getattr(recommender, "neighbour_prior", False))
    if prior and not getattr(recommender, "n_warm_start", 0):
        return (f"The search starts from {similar}: their scores are the model's expectations before anything "
                "is tried here, and every pick, the first included, maximises expected improvement under it.")
    after = ("the model's posterior, whose expectations start from those datasets' scores" if prior
             else "the model's posterior")
    return (f"The first picks (warm start) are the best pipelines of {similar}; after them, each pick "
            f"maximises expected improvement under {after}.")


def warm_start_frame(recommender, meta_features: dict, knowledge, records: list[dict], k: int = 5) -> pd.DataFrame:
    """The corpus datasets nearest to this one in meta-feature space, which seeded the warm start."""
    from automl_engine.knowledge.metafeatures import meta_feature_vector

    if not hasattr(recommender, "warm_start_neighbours") or getattr(recommender, "meta_features_", None) is None:
        return pd.DataFrame(columns=["dataset", "distance"])
    indices, distances = recommender.warm_start_neighbours(meta_feature_vector(meta_features), k=k)
    names = np.asarray(knowledge.datasets)[np.asarray(knowledge.train, dtype=bool)] if len(knowledge.datasets) else []
    rows = [{"dataset": str(names[i]) if i < len(names) else f"training dataset {i}", "distance": float(d)}
            for i, d in zip(indices, distances)]
    frame = pd.DataFrame(rows, columns=["dataset", "distance"])
    picks = [r["description"] for r in records if r.get("source") == "warm start"]
    frame.attrs["warm_start_picks"] = picks
    return frame


def pipeline_details(catalogue, record: dict) -> dict:
    """Steps, hyper-parameters, fold scores and times of one evaluated pipeline."""
    spec = None
    if catalogue is not None:
        try:
            spec = catalogue[int(record["pipeline_index"])]
        except (IndexError, KeyError, ValueError, TypeError):
            spec = None
    details = {
        "pipeline": record.get("description", ""), "family": record.get("family", ""),
        "status": record.get("status", ""), "score": record.get("score"), "score_std": record.get("score_std"),
        "fold_scores": list(record.get("fold_scores") or []), "fit_time_s": record.get("fit_time"),
        "wall_time_s": record.get("wall_time"), "picked_by": record.get("source", ""),
        "predicted_score": record.get("predicted_score"), "predicted_std": record.get("predicted_std"),
    }
    if spec is not None:
        details["steps"] = {k: v for k, v in spec.prep.items() if v not in (None, False, "none")}
        details["estimator"] = spec.estimator
        details["hyper_parameters"] = dict(spec.params)
        details["pipeline_id"] = spec.id
    if record.get("error"):
        details["error"] = str(record["error"])
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in details.items()}
