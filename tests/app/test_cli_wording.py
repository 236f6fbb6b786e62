"""The command line speaks of files, not uploads, and its progress bar says what it counts."""
import io

from automl_engine.cli import file_wording, main
from automl_engine.cli.progress import ProgressBar


def test_a_bad_file_on_the_command_line_is_not_called_an_upload(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["fit", str(empty), "--target", "y"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "empty" in err and "upload" not in err.lower()


def test_file_wording():
    assert file_wording("The file is empty; upload a table with a header row.") == \
        "The file is empty; give a table with a header row."
    assert "before saving the file" in file_wording("mark it with a word before uploading.")


def test_the_progress_bar_names_what_it_counts():
    stream = io.StringIO()
    bar = ProgressBar(total=25, stream=stream, unit="pipelines evaluated")
    bar.update(3, "best 0.9", force=True)
    assert "3/25 pipelines evaluated" in stream.getvalue()
    stream = io.StringIO()
    bar = ProgressBar(total=100, stream=stream, unit="% of the time budget")
    bar.update(40, force=True)
    assert "40% of the time budget" in stream.getvalue() and "40/100" not in stream.getvalue()
