"""The Streamlit app's support code: session state, charts, views and diagnostics.

Pages (``pages/*.py``) hold widgets and layout only and call into here; only ``state`` imports
streamlit. The engine (``automl_engine``) never imports anything from here.
"""
