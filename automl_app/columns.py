"""Column configurations of the tables more than one page shows (``st.dataframe(column_config=...)``)."""
import streamlit as st

# the leaderboard's columns (views.BOARD_COLUMNS): on the Search, Leaderboard and History pages
BOARD = {
    "score": st.column_config.NumberColumn(format="%.4f"),
    "score_std": st.column_config.NumberColumn("± std", format="%.4f"),
    "predicted_score": st.column_config.NumberColumn("predicted", format="%.4f"),
    "predicted_std": st.column_config.NumberColumn("pred. std", format="%.4f"),
    "fit_time": st.column_config.NumberColumn("fit s", format="%.2f"),
}
