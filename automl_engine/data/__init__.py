"""Reading, cleaning, typing and checking a user's table.

* :mod:`.readers` — CSV/TSV, Excel and Parquet files into a DataFrame (encoding, delimiter, size limits);
* :mod:`.cleaning` — cell values: missing-value markers in context, numbers and dates held as text;
* :mod:`.column_types` — the kinds of column (numeric, categorical, text, id-like, ...);
* :mod:`.intake` — ``load_table`` and ``prepare_data`` (features, target, task, guardrails);
* :mod:`.guardrails` — the data checks and their report; :mod:`.fingerprint` — a table's content hash;
* :mod:`.samples` — the sample tables shipped with the package.
"""
