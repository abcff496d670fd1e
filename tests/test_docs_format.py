"""docs/format.md stays true: its examples are run and its stated results checked.

- The complete example log gives exactly the run, group and entry statuses
  (and order, badges, lineage) the doc's result tables state.
- The problem example makes `runreport validate` print exactly the lines the
  doc quotes.
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from runreport.cli import main
from runreport.pipeline import load

DOC = Path(__file__).resolve().parents[1] / "docs" / "format.md"


def section(title: str) -> str:
    """The text of the `## title` section of the doc."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"docs/format.md has no section {title!r}"
    return match.group(1)


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.S | re.M)


def tables(text: str) -> dict[str, list[list[str]]]:
    """Markdown tables keyed by their header row; cells without backticks."""
    found: dict[str, list[list[str]]] = {}
    for table in re.findall(r"(?:^\|.*\|\n)+", text, re.M):
        rows = [[c.strip().strip("`") for c in line.strip()[1:-1].split("|")] for line in table.splitlines()]
        found[" | ".join(rows[0])] = rows[2:]  # skip the |---| row
    return found


def test_complete_example_gives_the_statuses_the_doc_states(tmp_path):
    text = section("A complete example")
    (log,) = blocks(text, "jsonl")
    path = tmp_path / "example.jsonl"
    path.write_text(log, encoding="utf-8")
    loaded = load([path])
    assert loaded.problems == []  # the doc says the log has no problems
    runs = {r.run_id: r for r in loaded.runs()}

    stated = tables(text)
    run_rows = stated["run | mode | run status"]
    assert {run: (mode, status) for run, mode, status in run_rows} == {
        r.run_id: (r.mode, r.status) for r in runs.values()
    }
    group_rows = stated["run | group | group status"]
    assert [tuple(row) for row in group_rows] == [
        (r.run_id, g.automation, g.status) for r in (runs[row[0]] for row in run_rows) for g in r.groups
    ]
    entry_rows = stated["run | entry | group | own status | display status | badges | lineage"]
    shown_in = {(r.run_id, eid): g.automation for r in runs.values() for g in r.groups for eid in g.entry_ids}
    assert [tuple(row) for row in entry_rows] == [
        (r.run_id, e.entry_id, shown_in[r.run_id, e.entry_id], e.status, e.display_status,
         ", ".join(e.badges), " › ".join(e.lineage))
        for r in (runs[row[0]] for row in run_rows)
        for e in r.entries
    ]


def test_problem_example_prints_the_quoted_messages(tmp_path, monkeypatch):
    text = section("Problems")
    (log,) = blocks(text, "jsonl")
    (quoted,) = blocks(text, "text")
    monkeypatch.chdir(tmp_path)
    Path("broken.jsonl").write_text(log, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "broken.jsonl"])
    assert result.exit_code == 1
    assert result.output == quoted
