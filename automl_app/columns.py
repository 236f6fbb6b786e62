"""Column configurations of the tables more than one page shows (``st.dataframe(column_config=...)``)."""
import streamlit as st

# the leaderboard as outcomes.board_display makes it: on the Search, Leaderboard and History pages
BOARD = {
    "iteration": st.column_config.NumberColumn("#", help="Evaluation number, in the order they were run."),
    "description": st.column_config.TextColumn(width=420, help="The pipeline: its steps and model."),
    "score": st.column_config.NumberColumn(format="%.4f", help="Cross-validated score (higher is better; losses "
                                           "are negated); blank when the evaluation has none (its status says why)."),
    "± std": st.column_config.NumberColumn(format="%.4f", help="Standard deviation over the folds; blank with a "
                                           "single holdout."),
    "predicted": st.column_config.NumberColumn(format="%.4f", help="What the recommender predicted before trying it; "
                                               "for a pipeline promoted to more rows, what it expected after seeing "
                                               "the score on fewer rows."),
    "pred. std": st.column_config.NumberColumn(format="%.4f", help="The recommender's uncertainty about it (about 0 "
                                               "for a promoted pipeline, whose score on fewer rows it has seen)."),
    "rows": st.column_config.NumberColumn(format="localized", help="Training rows the score was measured on."),
    "fit s": st.column_config.NumberColumn(format="%.2f", help="Seconds to fit one fold."),
}
