"""The search: the ask/tell loop over a recommender's picks, its budget, the ensemble and the leaderboard.

* :mod:`.loop` — ``Search`` (ask / tell / run), ``Problem``, ``SearchEvent``;
* :mod:`.budget` — ``Budget``, one per fit; :mod:`.finish_time` — time kept for the final refits;
* :mod:`.ensemble` — ensemble selection over out-of-fold predictions; :mod:`.leaderboard` — the table.
"""
from automl_engine.search.budget import Budget
from automl_engine.search.loop import MIN_EVALUATION_SECONDS, Problem, Search, SearchEvent, Trial, spent_seconds

__all__ = ["Budget", "MIN_EVALUATION_SECONDS", "Problem", "Search", "SearchEvent", "Trial", "spent_seconds"]
