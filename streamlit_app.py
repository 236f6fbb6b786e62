"""AutoML app entry point: page config, session defaults, navigation. Run: streamlit run streamlit_app.py

Streamlit runs this file as ``__main__``. Evaluation workers are started with multiprocessing
(forkserver), whose children re-run the parent's ``__main__`` file as ``__mp_main__``: hence the
guard and the imports inside ``main()``, so that a worker runs none of the app.
"""
from pathlib import Path

PAGES = [
    ("pages/data.py", "Data", ":material/table:"),
    ("pages/search.py", "Search", ":material/travel_explore:"),
    ("pages/leaderboard.py", "Leaderboard", ":material/leaderboard:"),
    ("pages/explain.py", "Explain", ":material/insights:"),
    ("pages/predict.py", "Predict", ":material/batch_prediction:"),
    ("pages/history.py", "History", ":material/history:"),
]


def main() -> None:
    import streamlit as st

    from automl_app.state import init_session

    st.set_page_config(page_title="AutoML", page_icon=":material/model_training:", layout="wide")
    init_session()
    here = Path(__file__).parent
    # a page another change has not landed yet is left out rather than breaking the app
    page = st.navigation([st.Page(path, title=title, icon=icon, default=(path == "pages/data.py"))
                          for path, title, icon in PAGES if (here / path).is_file()])
    page.run()


if __name__ == "__main__":
    main()
