"""Writing benchmark results into the docs: a marked section per script, with command and machine."""
from __future__ import annotations

import platform
from pathlib import Path


def write_section(path: Path, name: str, body: str) -> None:
    """Replace (or append) the text between ``<!-- name -->`` and ``<!-- /name -->`` in ``path``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def publish(report: str, path: Path | None, section: str, command: str, conditions: str) -> None:
    """Print ``report``; with ``path``, also write it under a header naming the command and machine."""
    print(report)
    if path:
        header = (f"Command: `{command}`  \nMachine: {platform.machine()}, 2 cores, Python "
                  f"{platform.python_version()}; {conditions}\n\n")
        write_section(path, section, header + report)


def markdown_table(frame, index: str = "") -> str:
    """``frame`` (a pandas DataFrame) as a markdown table, its index as the first column named ``index``."""
    lines = ["| " + " | ".join([index, *map(str, frame.columns)]) + " |", "|---" * (len(frame.columns) + 1) + "|"]
    lines += ["| " + " | ".join([str(label), *map(str, row)]) + " |" for label, row in zip(frame.index, frame.values)]
    return "\n".join(lines)
