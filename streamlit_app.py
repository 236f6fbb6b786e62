"""AutoML app entry point: page config, session defaults, navigation. Run: streamlit run streamlit_app.py

Streamlit runs this file as ``__main__``. Evaluation workers are started with multiprocessing
(forkserver), whose children re-run the parent's ``__main__`` file as ``__mp_main__``: hence the
guard and the imports inside ``main()``, so that a worker runs none of the app.
"""


def main() -> None:
    import streamlit as st

    from automl_app.navigation import PAGES
    from automl_app.state import init_session

    # an emoji favicon is an inline SVG; a ":material/…:" one is fetched from fonts.gstatic.com (offline: none)
    st.set_page_config(page_title="AutoML", page_icon="📈", layout="wide")
    init_session()
    page = st.navigation([st.Page(p.path, title=p.title, icon=p.icon, default=(p == PAGES[0])) for p in PAGES])
    page.run()


if __name__ == "__main__":
    main()
