"""The library store: names, parsing, atomic and concurrent saves, loading with problems."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import runreport
from runreport import library as lib
from runreport.library import (
    InvalidName,
    LibraryError,
    MalformedFile,
    NotFound,
    VariableExists,
    default_variable_path,
    load_library,
    save_variable,
    test_case_json,
)

SOURCE = {
    "run_id": "r-104",
    "entry_id": "e1",
    "step_id": "fetch",
    "step_name": "Fetch leads",
    "saved_at": "2026-11-20T10:00:05Z",
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def visible_files(folder: Path) -> list[str]:
    """Files a person would see in the library (hidden lock files excluded)."""
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
    )


# --- default variable path and names -----------------------------------------


@pytest.mark.parametrize(
    ("step_name", "expected"),
    [
        ("Fetch Leads (v2)!", "step.fetch_leads_v2.output"),
        ("Fetch leads", "step.fetch_leads.output"),
        ("  --Push to CRM--  ", "step.push_to_crm.output"),
        ("already_snake_case", "step.already_snake_case.output"),
        ("Café crème", "step.caf_cr_me.output"),
        ("!!!", "step.unnamed.output"),
        ("", "step.unnamed.output"),
    ],
)
def test_default_variable_path(step_name, expected):
    assert default_variable_path(step_name) == expected


def test_default_variable_path_is_always_a_valid_path():
    assert lib.is_valid_var_path(default_variable_path("x" * 5000))


@pytest.mark.parametrize("name", ["support-reply", "a", "v1.2_final", "A-Z_0.9", "x" * 100])
def test_valid_names_are_accepted(name):
    assert lib.check_name(name, "prompt") == name


@pytest.mark.parametrize(
    "name",
    ["", ".hidden", "..", "a/b", "../etc", "a\\b", "with space", "é", "x" * 101, "tab\t", "new\nline", "a:b"],
)
def test_invalid_names_are_refused_with_the_rule(name):
    with pytest.raises(InvalidName) as info:
        lib.check_name(name, "case")
    message = info.value.message
    assert f"invalid case name {name!r}" in message
    assert "letters" in message and "digits" in message and "not starting with '.'" in message


@pytest.mark.parametrize("path", ["step.fetch.output", "a", "x-y.z_1", "A.B.C"])
def test_valid_variable_paths(path):
    assert lib.check_var_path(path) == path


@pytest.mark.parametrize("path", ["", ".a", "a.", "a..b", "a b", "a/b", "a.é", "a" * 201])
def test_invalid_variable_paths_are_refused(path):
    with pytest.raises(InvalidName, match="dot-separated segments"):
        lib.check_var_path(path)


# --- prompt files ---------------------------------------------------------------


def test_front_matter_is_split_from_the_prompt_text():
    meta, body, problems = lib.parse_front_matter(
        '---\nname: reply\ndescription: "Answer: a ticket"\n# note\n\n---\n\nHello {{ name }}\n'
    )
    assert meta == {"name": "reply", "description": "Answer: a ticket"}
    assert body == "Hello {{ name }}"
    assert problems == []


def test_a_prompt_without_front_matter_is_all_text():
    assert lib.parse_front_matter("Just text\n") == ({}, "Just text", [])


def test_unclosed_front_matter_keeps_the_text_and_reports_it():
    meta, body, problems = lib.parse_front_matter("---\nname: x\nHello\n")
    assert meta == {}
    assert "Hello" in body
    assert any("never closed" in p and "closing '---'" in p for p in problems)


def test_a_front_matter_line_without_a_colon_is_reported():
    meta, body, problems = lib.parse_front_matter("---\ndescription: d\njust words\n---\nText")
    assert meta == {"description": "d"} and body == "Text"
    assert problems == ["line 3: expected a front matter line 'key: value', got 'just words'"]


# --- save and load ---------------------------------------------------------------


def test_save_then_load_round_trip(tmp_path):
    write(tmp_path / "prompts/reply.md", "---\nname: reply\ndescription: Answer a ticket\n---\n\nHi {{ x }}\n")
    value = {"leads": [{"id": 1, "name": "Zoë"}], "next": None}
    path = save_variable(tmp_path, "reply", "basic", "step.fetch.output", value, SOURCE, create=True)
    assert path == tmp_path / "cases/reply/basic.json"

    loaded = load_library(tmp_path)
    assert loaded.problems == ()
    (prompt,) = loaded.prompts
    assert (prompt.name, prompt.description, prompt.text) == ("reply", "Answer a ticket", "Hi {{ x }}")
    (case,) = prompt.cases
    assert (case.prompt, case.name) == ("reply", "basic")
    assert case.variables == (lib.Variable("step.fetch.output", value, SOURCE),)


def test_case_file_has_sorted_keys_and_two_space_indent(tmp_path):
    save_variable(tmp_path, "reply", "basic", "b.var", {"z": 1, "a": "é"}, SOURCE, create=True)
    text = (tmp_path / "cases/reply/basic.json").read_text(encoding="utf-8")
    assert text == textwrap.dedent(
        """\
        {
          "case": "basic",
          "prompt": "reply",
          "variables": {
            "b.var": {
              "source": {
                "entry_id": "e1",
                "run_id": "r-104",
                "saved_at": "2026-11-20T10:00:05Z",
                "step_id": "fetch",
                "step_name": "Fetch leads"
              },
              "value": {
                "a": "é",
                "z": 1
              }
            }
          }
        }
        """
    )


def test_test_case_json_is_exactly_what_save_writes(tmp_path):
    first = test_case_json("reply", "basic", "a", [1, 2], SOURCE)
    save_variable(tmp_path, "reply", "basic", "a", [1, 2], SOURCE, create=True)
    case_file = tmp_path / "cases/reply/basic.json"
    assert case_file.read_text(encoding="utf-8") == first

    existing = json.loads(first)
    second = test_case_json("reply", "basic", "b", "text", SOURCE, existing=existing)
    save_variable(tmp_path, "reply", "basic", "b", "text", SOURCE)
    assert case_file.read_text(encoding="utf-8") == second
    assert sorted(json.loads(second)["variables"]) == ["a", "b"]


def test_make_source_is_utc_with_seconds_precision():
    from datetime import datetime, timedelta, timezone

    when = datetime(2026, 11, 20, 12, 30, 15, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert lib.make_source("r", "e", None, "Fetch", when) == {
        "run_id": "r",
        "entry_id": "e",
        "step_id": None,
        "step_name": "Fetch",
        "saved_at": "2026-11-20T10:30:15Z",
    }


def test_missing_prompt_needs_create_and_suggests_close_names(tmp_path):
    write(tmp_path / "prompts/support-reply.md", "Text\n")
    with pytest.raises(NotFound) as info:
        save_variable(tmp_path, "suport-reply", "basic", "a", 1, SOURCE)
    message = info.value.message
    assert "prompt 'suport-reply' does not exist" in message
    assert "'support-reply'" in message and "--create" in message
    assert visible_files(tmp_path) == ["prompts/support-reply.md"]  # nothing was created


def test_missing_case_needs_create_and_suggests_close_names(tmp_path):
    save_variable(tmp_path, "reply", "angry-customer", "a", 1, SOURCE, create=True)
    with pytest.raises(NotFound) as info:
        save_variable(tmp_path, "reply", "angry-customr", "a", 1, SOURCE)
    assert "test case 'angry-customr' does not exist" in info.value.message
    assert "'angry-customer'" in info.value.message and "--create" in info.value.message
    assert visible_files(tmp_path) == ["cases/reply/angry-customer.json", "prompts/reply.md"]


def test_create_makes_the_prompt_file_and_a_gitignore_for_lock_files(tmp_path):
    save_variable(tmp_path, "new-prompt", "first", "a", 1, SOURCE, create=True)
    loaded = load_library(tmp_path)
    assert loaded.problems == ()
    assert [p.name for p in loaded.prompts] == ["new-prompt"]
    assert [c.name for c in loaded.prompts[0].cases] == ["first"]
    assert ".*.lock" in (tmp_path / ".gitignore").read_text()


def test_create_never_overwrites_an_existing_prompt(tmp_path):
    write(tmp_path / "prompts/reply.md", "---\ndescription: mine\n---\nKeep me\n")
    save_variable(tmp_path, "reply", "c", "a", 1, SOURCE, create=True)
    assert (tmp_path / "prompts/reply.md").read_text() == "---\ndescription: mine\n---\nKeep me\n"


def test_existing_variable_needs_replace(tmp_path):
    save_variable(tmp_path, "reply", "basic", "a", "old", SOURCE, create=True)
    with pytest.raises(VariableExists, match=r"variable 'a' already exists .*--replace"):
        save_variable(tmp_path, "reply", "basic", "a", "new", SOURCE)
    assert load_library(tmp_path).prompts[0].cases[0].variables[0].value == "old"

    save_variable(tmp_path, "reply", "basic", "a", "new", SOURCE, replace=True)
    assert load_library(tmp_path).prompts[0].cases[0].variables[0].value == "new"


def test_bad_names_are_refused_before_touching_the_disk(tmp_path):
    for args in (("../x", "c", "a"), ("p", "a/b", "a"), ("p", "c", "a..b")):
        with pytest.raises(InvalidName):
            save_variable(tmp_path, *args, 1, SOURCE, create=True)
    assert not any(tmp_path.iterdir())


def test_crash_between_write_and_rename_keeps_the_old_file(tmp_path, monkeypatch):
    case_file = save_variable(tmp_path, "reply", "basic", "a", "old", SOURCE, create=True)
    before = case_file.read_bytes()

    def crash(src, dst):
        raise OSError("disk went away")

    monkeypatch.setattr(lib.os, "replace", crash)
    with pytest.raises(LibraryError, match="disk went away"):
        save_variable(tmp_path, "reply", "basic", "b", "new", SOURCE)
    monkeypatch.undo()

    assert case_file.read_bytes() == before
    assert json.loads(before)["variables"]["a"]["value"] == "old"
    leftovers = [p.name for p in case_file.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert load_library(tmp_path).problems == ()


def test_crash_while_creating_a_case_leaves_no_case(tmp_path, monkeypatch):
    monkeypatch.setattr(lib.os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(LibraryError):
        save_variable(tmp_path, "reply", "basic", "a", 1, SOURCE, create=True)
    assert not (tmp_path / "cases/reply/basic.json").exists()
    assert load_library(tmp_path).prompts[0].cases == ()


def test_a_malformed_existing_case_is_not_overwritten(tmp_path):
    broken = write(tmp_path / "cases/reply/basic.json", "{not json")
    write(tmp_path / "prompts/reply.md", "Text")
    with pytest.raises(MalformedFile, match="basic.json: expected a JSON test case"):
        save_variable(tmp_path, "reply", "basic", "a", 1, SOURCE)
    assert broken.read_text() == "{not json"


def test_a_value_that_is_not_json_is_refused(tmp_path):
    with pytest.raises(LibraryError, match="cannot be stored as JSON"):
        save_variable(tmp_path, "reply", "basic", "a", float("nan"), SOURCE, create=True)
    assert not any(tmp_path.iterdir())


SAVER = """
import sys
from pathlib import Path
from runreport.library import save_variable
folder, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(count):
    source = {"run_id": "r", "entry_id": tag, "step_id": None, "step_name": tag, "saved_at": "2026-01-01T00:00:00Z"}
    save_variable(folder, "reply", "shared", f"{tag}.v{i}", {"i": i, "pad": "x" * 2000}, source, create=True)
"""


def test_concurrent_saves_into_one_case_all_land(tmp_path):
    count = 20
    env = {**os.environ, "PYTHONPATH": str(Path(runreport.__file__).resolve().parents[1])}
    procs = [
        subprocess.Popen([sys.executable, "-c", SAVER, str(tmp_path), tag, str(count)], env=env)
        for tag in ("first", "second", "third")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]

    loaded = load_library(tmp_path)
    assert loaded.problems == ()
    (case,) = loaded.prompts[0].cases
    expected = sorted(f"{tag}.v{i}" for tag in ("first", "second", "third") for i in range(count))
    assert [v.path for v in case.variables] == expected


def test_concurrent_saves_from_threads_all_land(tmp_path):
    # The site's Save button under `runreport serve` saves from server threads.
    from concurrent.futures import ThreadPoolExecutor

    def saves(tag):
        for i in range(20):
            save_variable(tmp_path, "reply", "shared", f"{tag}.v{i}", i, SOURCE, create=True)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(saves, ["a", "b", "c"]))
    (case,) = load_library(tmp_path).prompts[0].cases
    assert len(case.variables) == 60


def test_create_falls_back_when_the_file_system_has_no_hard_links(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(lib.os, "link", no_links)
    save_variable(tmp_path, "reply", "basic", "a", 1, SOURCE, create=True)
    assert lib.parse_front_matter((tmp_path / "prompts/reply.md").read_text())[0] == {"name": "reply", "description": ""}
    assert visible_files(tmp_path) == ["cases/reply/basic.json", "prompts/reply.md"]


# --- load_library problems ---------------------------------------------------------


def test_a_malformed_case_file_is_a_problem_not_a_crash(tmp_path):
    write(tmp_path / "prompts/reply.md", "---\nname: reply\n---\nText\n")
    save_variable(tmp_path, "reply", "good", "a", 1, SOURCE, create=True)
    write(tmp_path / "cases/reply/broken.json", '{"prompt": "reply", "case": "broken", "variables": [')
    write(tmp_path / "cases/reply/list.json", "[1, 2]")

    loaded = load_library(tmp_path)
    assert [c.name for c in loaded.prompts[0].cases] == ["good"]
    broken = [p for p in loaded.problems if "broken.json" in p]
    listed = [p for p in loaded.problems if "list.json" in p]
    assert len(broken) == 1 and "expected a JSON test case" in broken[0]
    assert len(listed) == 1 and "expected a JSON object with 'prompt', 'case' and 'variables'" in listed[0]
    assert broken[0].startswith(str(tmp_path / "cases/reply/broken.json"))


def test_bad_variables_are_dropped_one_by_one(tmp_path):
    write(tmp_path / "prompts/reply.md", "Text")
    doc = {
        "prompt": "reply",
        "case": "c",
        "variables": {
            "ok": {"value": 1, "source": {}},
            "bad path": {"value": 2, "source": {}},
            "no.value": {"source": {}},
        },
    }
    write(tmp_path / "cases/reply/c.json", json.dumps(doc))
    loaded = load_library(tmp_path)
    assert [v.path for v in loaded.prompts[0].cases[0].variables] == ["ok"]
    assert len(loaded.problems) == 2
    assert any("'bad path' dropped" in p for p in loaded.problems)
    assert any("'no.value' dropped: expected an object with 'value'" in p for p in loaded.problems)


def test_prompt_and_case_problems_are_reported_with_their_file(tmp_path):
    write(tmp_path / "prompts/reply.md", "---\nname: other\n---\nText\n")
    write(tmp_path / "prompts/open.md", "---\nname: open\nText\n")
    write(tmp_path / "prompts/bad name.md", "Text\n")
    write(tmp_path / "cases/ghost/c.json", json.dumps({"prompt": "ghost", "case": "c", "variables": {}}))
    write(tmp_path / "cases/reply/c.json", json.dumps({"prompt": "nope", "case": "c", "variables": {}}))

    loaded = load_library(tmp_path)
    assert [p.name for p in loaded.prompts] == ["open", "reply"]  # kept, despite their problems
    assert [c.name for c in loaded.prompt("reply").cases] == ["c"]
    text = "\n".join(loaded.problems)
    assert "reply.md: front matter name 'other' does not match the file name" in text
    assert "open.md: front matter opened with '---' on line 1 is never closed" in text
    assert "bad name.md: file name is not a valid prompt name" in text
    assert "ghost: test cases for prompt 'ghost', which has no prompt file" in text
    assert "c.json: expected 'prompt' to be 'reply'" in text


def test_lock_and_temporary_files_are_not_cases(tmp_path):
    save_variable(tmp_path, "reply", "basic", "a", 1, SOURCE, create=True)
    write(tmp_path / "cases/reply/.basic.json.abc.tmp", "{partial")
    assert (tmp_path / "cases/reply/.basic.json.lock").exists()
    loaded = load_library(tmp_path)
    assert loaded.problems == ()
    assert [c.name for c in loaded.prompts[0].cases] == ["basic"]


def test_a_missing_library_folder_is_an_empty_library(tmp_path):
    assert load_library(tmp_path / "nowhere") == lib.Library(prompts=(), problems=())


def test_a_case_nested_deeper_than_a_record_may_be_is_a_problem_not_a_crash(tmp_path):
    write(tmp_path / "prompts/reply.md", "Text")
    for depth in (300, 3000):  # shallower than the parser goes, and deeper
        write(tmp_path / f"cases/reply/deep{depth}.json",
              '{"variables": {"a": ' + "[" * depth + "]" * depth + "}}")
    library = lib.load_library(tmp_path)
    assert [c.name for p in library.prompts for c in p.cases] == []
    assert sorted(p.split(": ", 1)[0].rsplit("/", 1)[1] for p in library.problems) == ["deep300.json", "deep3000.json"]
    assert all("nested at most 200 levels deep" in p for p in library.problems)
    with pytest.raises(MalformedFile, match="deep3000.json: expected a JSON test case"):
        save_variable(tmp_path, "reply", "deep3000", "b", 1, SOURCE)
