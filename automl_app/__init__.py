"""The Streamlit app's support code: session state, charts, views and diagnostics.

Pages (``app_pages/*.py``) hold widgets and layout only and call into here; only ``state``,
``navigation`` (the page paths and links) and ``columns`` (shared column configs) import
streamlit. The engine (``automl_engine``) never imports anything from here.
"""
