"""Tables and a chart from benchmarks/peers.py results, written into docs/BENCHMARKS.md."""
from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_section  # noqa: E402

TIE = 1e-3


def win_tie_loss(wide: pd.DataFrame, peer: str) -> str:
    """``wins/ties/losses (p)`` of PMF against ``peer``; p: two-sided sign test on wins vs losses."""
    from scipy.stats import binomtest

    if peer not in wide or "pmf" not in wide:
        return "–"
    diff = (wide["pmf"] - wide[peer]).dropna()
    wins, ties, losses = int((diff > TIE).sum()), int((diff.abs() <= TIE).sum()), int((diff < -TIE).sum())
    p = binomtest(wins, wins + losses).pvalue if wins + losses else float("nan")
    return f"{wins}/{ties}/{losses} (p={p:.2f})"


def budget_label(kind: str, budget: float) -> str:
    return f"{budget:g} {'s' if kind == 'seconds' else 'evaluations'}"


def crashes_scored_worst(group: pd.DataFrame) -> pd.DataFrame:
    """``group`` with a crashed run's test and validation scores at −inf (it ranks last)."""
    return group.assign(test_score=group["test_score"].where(~group["crashed"], -np.inf),
                        cv_score=group["cv_score"].where(~group["crashed"], -np.inf))


def summary_table(results: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """One row per budget and system, over the datasets every system of that budget finished.

    With several seeds (each its own train/test split), a dataset's score is its mean over the
    seeds every system finished, so ranks and win/tie/loss count datasets, not runs.
    Test scores are noisy on the small test splits, so the table also compares the validation
    score of the returned model (the search's own objective, what a better search raises).
    """
    lines = ["| budget | datasets | seeds | system | mean test score | mean rank | "
             "PMF win/tie/loss vs it (sign test) | "
             "PMF win/tie/loss on validation score | time to 99% of final (s) | validation − test score | "
             "failed evaluations | crashed runs |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ranks_rows = []
    for (kind, budget), group in results.groupby(["budget_kind", "budget"]):
        scores = crashes_scored_worst(group)
        wide = scores.pivot_table(index=["dataset", "seed"], columns="system", values="test_score", aggfunc="first")
        wide = wide.dropna()
        validation = scores.pivot_table(index=["dataset", "seed"], columns="system", values="cv_score",
                                        aggfunc="first").reindex(wide.index)
        n_seeds = wide.index.get_level_values("seed").nunique()
        wide, validation = (frame.groupby(level="dataset").mean() for frame in (wide, validation))
        ranks = wide.rank(axis=1, ascending=False, method="average")
        label = budget_label(kind, budget)
        finished = set(wide.index.get_level_values("dataset"))
        for system in wide.columns:
            sub = group[(group["system"] == system) & group["dataset"].isin(finished)]
            ranks_rows.append({"budget": label, "system": system, "mean rank": ranks[system].mean()})
            lines.append(
                f"| {label} | {len(wide)} | {n_seeds} | {system} | "
                f"{wide[system].replace(-np.inf, np.nan).mean():.4f} | "
                f"{ranks[system].mean():.2f} | {'–' if system == 'pmf' else win_tie_loss(wide, system)} | "
                f"{'–' if system == 'pmf' else win_tie_loss(validation, system)} | "
                f"{sub['time_to_99'].mean():.1f} | {(sub['cv_score'] - sub['test_score']).mean():.4f} | "
                f"{int(sub['failures'].fillna(0).sum())} | {int(sub['crashed'].sum())} |")
    return "\n".join(lines), pd.DataFrame(ranks_rows)


def per_seed_table(results: pd.DataFrame) -> str:
    """PMF's win/tie/loss against each peer split by split, for the budgets run with several seeds."""
    lines = ["| budget | seed | peer | PMF win/tie/loss (sign test) |", "|---|---|---|---|"]
    for (kind, budget), group in results.groupby(["budget_kind", "budget"]):
        if group["seed"].nunique() < 2:
            continue
        label = budget_label(kind, budget)
        scores = crashes_scored_worst(group)
        for seed, runs in scores.groupby("seed"):
            wide = runs.pivot_table(index="dataset", columns="system", values="test_score", aggfunc="first").dropna()
            for peer in (c for c in wide.columns if c != "pmf"):
                lines.append(f"| {label} | {seed} | {peer} | {win_tie_loss(wide, peer)} |")
        for peer, line in split_agreement(scores).items():
            lines.append(f"| {label} | every split | {peer} | {line} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def split_agreement(scores: pd.DataFrame) -> dict:
    """Per peer: on how many datasets PMF is ahead on every split, behind on every split, or
    ahead on one and behind on another; and the correlation of PMF − peer between two splits.
    A real difference between the systems shows as agreement; test-set noise as sign changes."""
    wide = scores.pivot_table(index=["dataset", "seed"], columns="system", values="test_score", aggfunc="first")
    out = {}
    for peer in (c for c in wide.columns if c != "pmf"):
        diff = (wide["pmf"] - wide[peer]).unstack("seed").dropna()
        ahead, behind = (diff > TIE).all(axis=1).sum(), (diff < -TIE).all(axis=1).sum()
        flips = ((diff > TIE).any(axis=1) & (diff < -TIE).any(axis=1)).sum()
        corr = diff.iloc[:, 0].corr(diff.iloc[:, 1]) if diff.shape[1] >= 2 else float("nan")
        out[peer] = (f"ahead on every split {ahead}, behind on every split {behind}, ahead on one and "
                     f"behind on another {flips} (of {len(diff)}); correlation between splits {corr:.2f}")
    return out


def per_dataset_table(results: pd.DataFrame) -> str:
    wide = results.pivot_table(index="dataset", columns=["budget_kind", "budget", "system"], values="test_score",
                               aggfunc="mean")
    header = ["dataset"] + [f"{s} @{b:g}{'s' if k == 'seconds' else 'ev'}" for k, b, s in wide.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in wide.iterrows():
        lines.append(f"| {name} | " + " | ".join("" if pd.isna(v) else f"{v:.3f}" for v in row) + " |")
    return "\n".join(lines)


def write_report(results: pd.DataFrame, path: Path, command_args: str) -> None:
    import altair as alt

    table, ranks = summary_table(results)
    image = Path(path).resolve().parent / "img" / "peers_rank.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    chart = alt.Chart(ranks).mark_bar().encode(x="system:N",
                                               y=alt.Y("mean rank:Q", title="mean rank (lower is better)"),
                                               color="system:N", column="budget:N").properties(width=120, height=200)
    chart.save(str(image), scale_factor=1.5)
    seeds = per_seed_table(results)
    body = (f"Command: `python benchmarks/peers.py {command_args}`  \nMachine: {platform.machine()}, 2 cores, "
            f"Python {platform.python_version()}, one worker per system.\n\n{table}\n\n"
            + (f"Split by split (each seed is its own 75/25 split):\n\n{seeds}\n\n" if seeds else "")
            + f"![mean rank]({image.relative_to(Path(path).resolve().parent)})\n\n"
            f"<details><summary>Per dataset (test score)</summary>\n\n{per_dataset_table(results)}\n\n</details>\n")
    write_section(path, "peers", body)


# Peers on the >= 1,000-row meta-test tables (benchmarks/peers_large.py, issue #20)

LARGE_ORDER = ("pmf", "random", "flaml", "autogluon", "autogluon_best")


def sign_test(wins: int, losses: int) -> float:
    """Two-sided sign test of ``wins`` against ``losses`` (ties left out); NaN with neither."""
    from scipy.stats import binomtest

    return float(binomtest(wins, wins + losses).pvalue) if wins + losses else float("nan")


def paired_difference(a: pd.Series, b: pd.Series) -> tuple[float, float, int]:
    """Mean of ``a − b`` over the rows where both are finite, its standard error, and the count."""
    diff = (a - b).replace([np.inf, -np.inf], np.nan).dropna()
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
    return float(diff.mean()) if len(diff) else float("nan"), se, len(diff)


def per_table(results: pd.DataFrame, value: str = "test_score") -> pd.DataFrame:
    """Tables × systems: ``value`` averaged over the splits on which every system has a row.

    A run that did not finish (status other than ok) scores −inf, so it ranks last on its table.
    """
    runs = results.assign(**{value: results[value].where(results["status"] == "ok", -np.inf)})
    wide = runs.pivot_table(index=["dataset", "seed"], columns="system", values=value, aggfunc="first",
                            dropna=False)
    complete = runs.pivot_table(index=["dataset", "seed"], columns="system", values="budget", aggfunc="count",
                                fill_value=0)
    wide = wide[(complete > 0).all(axis=1).reindex(wide.index, fill_value=False)]
    return wide.groupby(level="dataset").mean()


def mean_ranks(wide: pd.DataFrame) -> pd.Series:
    """Mean over tables of each system's rank (1 = highest score, ties share the average rank)."""
    return wide.rank(axis=1, ascending=False, method="average").mean()


def large_summary(results: pd.DataFrame, ours: str = "pmf") -> pd.DataFrame:
    """One row per (budget, system): the figures issue #20 asks for, ``ours`` against each system."""
    rows = []
    for budget, group in results.groupby("budget"):
        test, valid = per_table(group), per_table(group, "val_score")
        if test.empty:
            continue
        ranks = mean_ranks(test)
        systems = [s for s in LARGE_ORDER if s in test.columns] + [s for s in test.columns if s not in LARGE_ORDER]
        finished = group[group["dataset"].isin(test.index) & (group["status"] == "ok")]
        for system in systems:
            own = finished[finished["system"] == system]
            row = {"budget": budget, "system": system, "tables": len(test),
                   "splits": int(group[group["dataset"].isin(test.index)].groupby("dataset")["seed"].nunique().min()),
                   "mean_test": float(test[system].replace(-np.inf, np.nan).mean()), "mean_rank": float(ranks[system]),
                   "gap": float((own["val_score"] - own["test_score"]).mean()),
                   "seconds_mean": float(own["seconds"].mean()), "seconds_max": float(own["seconds"].max()),
                   "not_ok": int(((group["system"] == system) & (group["status"] != "ok")
                                  & group["dataset"].isin(test.index)).sum())}
            if system != ours and ours in test.columns:
                diff = test[ours] - test[system]
                wins, losses = int((diff > TIE).sum()), int((diff < -TIE).sum())
                mean, se, n = paired_difference(test[ours], test[system])
                vdiff = valid[ours] - valid[system]
                row.update({"wins": wins, "ties": len(diff) - wins - losses, "losses": losses,
                            "p": sign_test(wins, losses), "diff": mean, "diff_se": se, "diff_n": n,
                            "val_wins": int((vdiff > TIE).sum()), "val_losses": int((vdiff < -TIE).sum())})
            rows.append(row)
    return pd.DataFrame(rows)


def large_markdown(summary: pd.DataFrame, ours: str = "pmf") -> str:
    """The summary as a markdown table."""
    lines = [f"| budget | system | tables × splits | mean test score | mean rank | {ours} − it (paired SE) | "
             f"{ours} win/tie/loss (sign test) | {ours} ahead/behind on validation | validation − test | "
             "seconds used (mean / max) | runs not ok |", "|" + "---|" * 11]
    for r in summary.to_dict("records"):
        versus = ("–", "–", "–") if pd.isna(r.get("wins")) else (
            f"{r['diff']:+.4f} ({r['diff_se']:.4f})",
            f"{int(r['wins'])}/{int(r['ties'])}/{int(r['losses'])} (p={r['p']:.2f})",
            f"{int(r['val_wins'])}/{int(r['val_losses'])}")
        lines.append(f"| {r['budget']:g} s | {r['system']} | {r['tables']} × {r['splits']} | {r['mean_test']:.4f} | "
                     f"{r['mean_rank']:.2f} | {' | '.join(versus)} | {r['gap']:.4f} | "
                     f"{r['seconds_mean']:.0f} / {r['seconds_max']:.0f} | {r['not_ok']} |")
    return "\n".join(lines)


def targets(summary: pd.DataFrame, ours: str = "pmf", baseline: str = "random", share: float = 0.65) -> str:
    """Issue #20's targets per budget: mean rank at or ahead of each peer's, ahead of ``baseline`` on
    ``share`` of the tables, a validation − test gap no larger than AutoGluon's."""
    lines = []
    for budget, rows in summary.groupby("budget"):
        rows = rows.set_index("system")
        if ours not in rows.index:
            continue
        me, parts = rows.loc[ours], []
        for peer in (s for s in ("flaml", "autogluon", "autogluon_best") if s in rows.index):
            gap = me["mean_rank"] - rows.loc[peer, "mean_rank"]
            parts.append(f"rank vs {peer} {me['mean_rank']:.2f} vs {rows.loc[peer, 'mean_rank']:.2f} "
                         + ("(met)" if gap <= 0 else f"(missed by {gap:.2f})"))
        if baseline in rows.index:
            wins, tables = int(rows.loc[baseline, "wins"]), int(rows.loc[baseline, "tables"])
            ahead = wins / tables if tables else float("nan")
            parts.append(f"ahead of {baseline} on {wins} of {tables} tables ({ahead:.0%}; target {share:.0%}: "
                         + ("met)" if ahead >= share else f"missed by {share - ahead:.0%})"))
        for peer in (s for s in ("autogluon", "autogluon_best") if s in rows.index):
            over = me["gap"] - rows.loc[peer, "gap"]
            parts.append(f"validation − test gap {me['gap']:.4f} vs {peer}'s {rows.loc[peer, 'gap']:.4f} "
                         + ("(met)" if over <= 0 else f"(missed by {over:.4f})"))
        lines.append(f"- {budget:g} s: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def large_per_table(results: pd.DataFrame) -> str:
    """Test score per table (mean over its splits) for every budget and system."""
    parts = []
    for budget, group in results.groupby("budget"):
        wide = per_table(group)
        systems = [s for s in LARGE_ORDER if s in wide.columns]
        lines = [f"| table ({budget:g} s) | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
        for name, row in wide[systems].iterrows():
            lines.append(f"| {name} | " + " | ".join("failed" if v == -np.inf else f"{v:.4f}" for v in row) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def write_large_report(results: pd.DataFrame, path: Path, command: str, title: str = "") -> None:
    """Write the ``peers-large`` section of ``path`` (tables, a mean-rank chart, per-table scores)."""
    summary = large_summary(results)
    image = Path(path).resolve().parent / "img" / "peers_large_rank.png"
    if not summary.empty:
        import altair as alt

        image.parent.mkdir(parents=True, exist_ok=True)
        data = summary.assign(budget=summary["budget"].map(lambda b: f"{b:g} s"))
        chart = alt.Chart(data).mark_bar().encode(
            x=alt.X("system:N", sort=list(LARGE_ORDER)), y=alt.Y("mean_rank:Q", title="mean rank (lower is better)"),
            color="system:N", column="budget:N").properties(width=150, height=200)
        chart.save(str(image), scale_factor=1.5)
    dates = pd.to_datetime(results["finished_at"], errors="coerce")
    body = (f"{title}\n\n" if title else "") + (
        f"Command: `{command}`  \nMachine: {platform.machine()}, 2 cores, Python {platform.python_version()}; "
        f"every system on one core; runs finished {dates.min():%Y-%m-%d %H:%M}–{dates.max():%Y-%m-%d %H:%M} UTC; "
        f"1-minute load average before a run: {results['load_before'].min():.1f}–{results['load_before'].max():.1f}; "
        f"engine commit(s): {', '.join(sorted(results['commit'].dropna().astype(str).unique()))}.\n\n"
        f"{large_markdown(summary)}\n\n"
        + (f"Targets of issue #20 (on these tables):\n{targets(summary)}\n\n" if not summary.empty else "")
        + (f"![mean rank](img/{image.name})\n\n" if not summary.empty else "")
        + f"<details><summary>Per table (test score, mean over splits)</summary>\n\n{large_per_table(results)}\n\n"
        "</details>\n")
    write_section(path, "peers-large", body)
