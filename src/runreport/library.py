"""The library store: prompts and their test cases, kept as plain files.

Layout of a library folder (see docs/library.md)::

    prompts/<prompt>.md              front matter (name, description) + prompt text
    cases/<prompt>/<case>.json       one test case: variables saved from run outputs
    cases/<prompt>/.<case>.json.lock lock held while a case is rewritten

Reading (:func:`load_library`) never raises for bad content: every malformed
file becomes a problem string naming the file and what was expected. Writing
(:func:`save_variable`) is atomic (temporary file in the same folder, then
``os.replace``) and serialised per case with ``fcntl.flock``, so concurrent
saves into one case all land and a crash never leaves a half-written file.
"""

from __future__ import annotations

import difflib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
import msgspec

from runreport.atomic import staged, write_text
from runreport.read import MAX_DEPTH, nested_too_deep

DEFAULT_FOLDER = Path("library")
PROMPTS_DIR = "prompts"
CASES_DIR = "cases"
PROMPT_SUFFIX = ".md"
CASE_SUFFIX = ".json"

NAME_MAX = 100
VAR_PATH_MAX = 200
_NAME_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,%d}" % (NAME_MAX - 1))
_SEGMENT_RE = re.compile(r"[A-Za-z0-9_-]+")
NAME_RULE = (
    f"use 1-{NAME_MAX} characters: letters A-Z a-z, digits, '-', '_' or '.', "
    "not starting with '.'"
)
VAR_PATH_RULE = (
    "use dot-separated segments of letters A-Z a-z, digits, '_' or '-' "
    f"(for example 'step.fetch_leads.output'), at most {VAR_PATH_MAX} characters"
)

# Lines a library folder's .gitignore gets, so lock and temporary files are
# never committed by people who keep their library in git.
GITIGNORE_TEXT = "# written by runreport: lock and temporary files of the library store\n.*.lock\n.*.tmp\n"


# --- errors ---------------------------------------------------------------


class LibraryError(click.ClickException):
    """A library operation that cannot be done as asked (exit code 1)."""


class InvalidName(LibraryError):
    """A prompt name, case name or variable path that is not allowed."""


class NotFound(LibraryError):
    """A prompt or case that does not exist (and `create` was not given)."""


class VariableExists(LibraryError):
    """A variable that is already in the case (and `replace` was not given)."""


class MalformedFile(LibraryError):
    """An existing library file that cannot be read back safely."""


# --- data -----------------------------------------------------------------


class Variable(msgspec.Struct, frozen=True):
    """One saved variable of a test case."""

    path: str  # dot-separated, e.g. "step.fetch_leads.output"
    value: Any  # any JSON value
    source: dict  # run_id, entry_id, step_id, step_name, saved_at (as stored)


class Case(msgspec.Struct, frozen=True):
    """One test case of a prompt."""

    prompt: str
    name: str
    variables: tuple[Variable, ...]  # sorted by path
    path: Path | None = None  # the case file
    document: dict | None = None  # the case file as read (what the Save dialog updates)


class Prompt(msgspec.Struct, frozen=True):
    """One prompt of the library, with its test cases."""

    name: str
    description: str
    text: str  # the Markdown after the front matter
    path: Path
    cases: tuple[Case, ...]  # sorted by name


class Library(msgspec.Struct, frozen=True):
    """Everything in a library folder, plus what could not be read."""

    prompts: tuple[Prompt, ...]  # sorted by name
    problems: tuple[str, ...]  # "<file>: <what was expected>", in file order

    def prompt(self, name: str) -> Prompt | None:
        for p in self.prompts:
            if p.name == name:
                return p
        return None


# --- names ----------------------------------------------------------------


def is_valid_name(name: object) -> bool:
    return isinstance(name, str) and _NAME_RE.fullmatch(name) is not None


def check_name(name: object, what: str) -> str:
    """Return `name` if it is a valid prompt or case name, else raise InvalidName."""
    if not is_valid_name(name):
        raise InvalidName(f"invalid {what} name {name!r}: {NAME_RULE}")
    return name  # type: ignore[return-value]


def is_valid_var_path(path: object) -> bool:
    return (
        isinstance(path, str)
        and 0 < len(path) <= VAR_PATH_MAX
        and all(_SEGMENT_RE.fullmatch(seg) for seg in path.split("."))
    )


def check_var_path(path: object) -> str:
    """Return `path` if it is a valid variable path, else raise InvalidName."""
    if not is_valid_var_path(path):
        raise InvalidName(f"invalid variable path {path!r}: {VAR_PATH_RULE}")
    return path  # type: ignore[return-value]


def default_variable_path(step_name: str) -> str:
    """Return the variable path a step's output is saved under by default.

    ``step.<slug>.output``: the step name lower-cased, every run of
    characters other than a-z and 0-9 replaced by one ``_``, leading and
    trailing ``_`` removed. A name with nothing left becomes ``unnamed``.
    """
    slug = re.sub(r"[^a-z0-9]+", "_", step_name.lower()).strip("_")
    # Keep the whole path inside VAR_PATH_MAX however long the step name is.
    slug = slug[:NAME_MAX].rstrip("_") or "unnamed"
    return f"step.{slug}.output"


def make_source(
    run_id: str,
    entry_id: str,
    step_id: str | None,
    step_name: str | None,
    saved_at: datetime | None = None,
) -> dict:
    """Return the `source` record of a variable saved now (or at `saved_at`)."""
    when = (saved_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return {
        "run_id": run_id,
        "entry_id": entry_id,
        "step_id": step_id,
        "step_name": step_name,
        "saved_at": when.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def close_names(name: str, known: list[str] | tuple[str, ...]) -> list[str]:
    """Return up to three known names that look like `name` (for typo hints)."""
    return difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)


# --- paths ----------------------------------------------------------------


def prompt_path(folder: Path, prompt: str) -> Path:
    return Path(folder) / PROMPTS_DIR / f"{check_name(prompt, 'prompt')}{PROMPT_SUFFIX}"


def case_path(folder: Path, prompt: str, case: str) -> Path:
    check_name(prompt, "prompt")
    return Path(folder) / CASES_DIR / prompt / f"{check_name(case, 'case')}{CASE_SUFFIX}"


def _lock_path(case_file: Path) -> Path:
    # Hidden, so it can never collide with a case (names never start with ".").
    return case_file.with_name(f".{case_file.name}.lock")


def prompt_names(folder: Path) -> list[str]:
    """Return the names of the prompts that have a prompt file, sorted."""
    d = Path(folder) / PROMPTS_DIR
    if not d.is_dir():
        return []
    return sorted(
        p.name[: -len(PROMPT_SUFFIX)]
        for p in d.iterdir()
        if p.name.endswith(PROMPT_SUFFIX) and is_valid_name(p.name[: -len(PROMPT_SUFFIX)])
    )


def case_names(folder: Path, prompt: str) -> list[str]:
    """Return the names of the cases of `prompt`, sorted."""
    d = Path(folder) / CASES_DIR / check_name(prompt, "prompt")
    if not d.is_dir():
        return []
    return sorted(
        p.name[: -len(CASE_SUFFIX)]
        for p in d.iterdir()
        if p.name.endswith(CASE_SUFFIX) and is_valid_name(p.name[: -len(CASE_SUFFIX)])
    )


# --- pure: parsing and rendering -------------------------------------------


def parse_front_matter(text: str) -> tuple[dict[str, str], str, list[str]]:
    """Split a prompt file into (front matter, body, problems).

    Front matter is optional: a first line ``---``, then ``key: value``
    lines (blank lines and ``#`` comments allowed), then a closing ``---``.
    Values may be wrapped in matching single or double quotes. Problems are
    messages without a file name; the caller adds it.
    """
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return {}, text.strip("\r\n"), []
    meta: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(lines[1:], start=2):
        stripped = line.strip()
        if stripped == "---":
            body = "\n".join(lines[number:])
            return meta, body.strip("\n"), problems
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition(":")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
            problems.append(f"line {number}: expected a front matter line 'key: value', got {stripped!r}")
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        meta[key] = value
    # Never closed: keep the whole file as text so nothing is lost.
    problems.append("front matter opened with '---' on line 1 is never closed; expected a closing '---' line")
    return {}, text.strip("\r\n"), problems


def render_prompt(name: str, description: str = "", text: str = "") -> str:
    """Return the text of a prompt file."""
    head = f"---\nname: {name}\ndescription:{' ' + description if description else ''}\n---\n"
    return head + (f"\n{text.strip(chr(10))}\n" if text.strip() else "")


def render_json(doc: Any) -> str:
    """Serialise a case document the one way the store writes it.

    Sorted keys at every level, 2-space indent, non-ASCII kept as is, a final
    newline: stable output gives small, readable diffs in git.
    """
    try:
        return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise LibraryError(f"value cannot be stored as JSON: {exc}") from None


def new_case_document(prompt: str, case: str) -> dict:
    return {"prompt": prompt, "case": case, "variables": {}}


def parse_case(doc: Any, prompt: str, case: str) -> tuple[Case | None, list[str]]:
    """Check a decoded case document; return (case or None, problems).

    Problems are messages without a file name. A document that is not an
    object with a ``variables`` object gives no case; a bad variable is
    dropped on its own and the rest are kept.
    """
    if not isinstance(doc, dict):
        return None, [f"expected a JSON object with 'prompt', 'case' and 'variables', got {type(doc).__name__}"]
    variables = doc.get("variables")
    if not isinstance(variables, dict):
        return None, ["expected 'variables' to be an object of variable path -> {\"value\": ..., \"source\": {...}}"]
    problems = []
    for key, expected in (("prompt", prompt), ("case", case)):
        if doc.get(key) != expected:
            problems.append(
                f"expected '{key}' to be {expected!r} (the file's place in the library), "
                f"got {doc.get(key)!r}; the file's place is used"
            )
    kept = []
    for path in sorted(variables):
        item = variables[path]
        if not is_valid_var_path(path):
            problems.append(f"variable {path!r} dropped: {VAR_PATH_RULE}")
        elif not isinstance(item, dict) or "value" not in item:
            problems.append(f"variable {path!r} dropped: expected an object with 'value' and 'source'")
        elif not isinstance(item.get("source", {}), dict):
            problems.append(f"variable {path!r} dropped: expected 'source' to be an object")
        else:
            kept.append(Variable(path, item["value"], dict(item.get("source") or {})))
    return Case(prompt, case, tuple(kept)), problems


def add_variable(
    doc: dict | None,
    prompt: str,
    case: str,
    var_path: str,
    value: Any,
    source: dict,
    *,
    replace: bool = False,
) -> dict:
    """Return a new case document with `var_path` set (pure; `doc` is not changed).

    `doc` is the existing case document, or None for a new case.
    """
    check_name(prompt, "prompt")
    check_name(case, "case")
    check_var_path(var_path)
    if not isinstance(source, dict):
        raise LibraryError("source must be an object (run_id, entry_id, step_id, step_name, saved_at)")
    base = new_case_document(prompt, case) if doc is None else doc
    variables = base.get("variables")
    if not isinstance(variables, dict):
        raise MalformedFile(f"test case {prompt}/{case}: expected 'variables' to be an object")
    if var_path in variables and not replace:
        raise VariableExists(
            f"variable {var_path!r} already exists in test case {prompt}/{case}; "
            "pass --replace to overwrite it, or choose another path with --var"
        )
    new = dict(base)
    new["prompt"], new["case"] = prompt, case
    new["variables"] = {**variables, var_path: {"value": value, "source": dict(source)}}
    return new


def test_case_json(
    prompt: str,
    case: str,
    var_path: str,
    value: Any,
    source: dict,
    *,
    existing: dict | None = None,
    replace: bool = False,
) -> str:
    """Return the exact text of the case file after saving one variable.

    `existing` is the current case document (None for a new case). This is
    what :func:`save_variable` writes, byte for byte.
    """
    return render_json(add_variable(existing, prompt, case, var_path, value, source, replace=replace))


# pytest would otherwise collect the helper above as a test function.
test_case_json.__test__ = False  # type: ignore[attr-defined]


# --- reading ---------------------------------------------------------------


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def load_library(folder: Path) -> Library:
    """Read every prompt and test case of a library folder; never raises for content."""
    folder = Path(folder)
    problems: list[str] = []
    prompts: dict[str, tuple[str, str, Path]] = {}

    prompts_dir = folder / PROMPTS_DIR
    for path in _visible_files(prompts_dir, PROMPT_SUFFIX, problems):
        name = path.name[: -len(PROMPT_SUFFIX)]
        if not is_valid_name(name):
            problems.append(f"{path}: file name is not a valid prompt name: {NAME_RULE}")
            continue
        try:
            raw = _read_text(path)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: expected a UTF-8 Markdown file, could not read it: {exc}")
            continue
        meta, body, found = parse_front_matter(raw)
        problems.extend(f"{path}: {p}" for p in found)
        if "name" in meta and meta["name"] != name:
            problems.append(
                f"{path}: front matter name {meta['name']!r} does not match the file name; {name!r} is used"
            )
        prompts[name] = (meta.get("description", ""), body, path)

    cases: dict[str, list[Case]] = {name: [] for name in prompts}
    cases_dir = folder / CASES_DIR
    if cases_dir.is_dir():
        for sub in sorted(cases_dir.iterdir()):
            if sub.name.startswith("."):
                continue
            if not sub.is_dir():
                problems.append(f"{sub}: expected only folders named after prompts in {cases_dir}")
                continue
            if sub.name not in prompts:
                problems.append(
                    f"{sub}: test cases for prompt {sub.name!r}, which has no prompt file "
                    f"{prompts_dir / (sub.name + PROMPT_SUFFIX)}; they are not shown"
                )
                continue
            for path in _visible_files(sub, CASE_SUFFIX, problems):
                case = _load_case(path, sub.name, problems)
                if case is not None:
                    cases[sub.name].append(case)

    return Library(
        prompts=tuple(
            Prompt(name, desc, body, path, tuple(cases[name]))
            for name, (desc, body, path) in sorted(prompts.items())
        ),
        problems=tuple(problems),
    )


def _visible_files(d: Path, suffix: str, problems: list[str]) -> Iterator[Path]:
    """Yield the files of `d` ending in `suffix`, sorted; hidden files are the store's own."""
    if not d.is_dir():
        return
    for path in sorted(d.iterdir()):
        if path.name.startswith(".") or not path.name.endswith(suffix):
            continue
        if not path.is_file():
            problems.append(f"{path}: expected a file")
            continue
        yield path


def _load_case(path: Path, prompt: str, problems: list[str]) -> Case | None:
    name = path.name[: -len(CASE_SUFFIX)]
    if not is_valid_name(name):
        problems.append(f"{path}: file name is not a valid case name: {NAME_RULE}")
        return None
    try:
        text = _read_text(path)
        doc = json.loads(text)
        too_deep = nested_too_deep(text, doc)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(f"{path}: expected a JSON test case, could not parse it: {exc}")
        return None
    except RecursionError:  # (deeper than the parser goes)
        too_deep = True
    if too_deep:
        problems.append(f"{path}: expected a JSON test case nested at most {MAX_DEPTH} levels deep, "
                        "found one nested deeper; case skipped")
        return None
    case, found = parse_case(doc, prompt, name)
    problems.extend(f"{path}: {p}" for p in found)
    if case is None:
        return None
    return Case(case.prompt, case.name, case.variables, path, doc)


# --- writing ---------------------------------------------------------------


@contextmanager
def case_lock(case_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on one case across a read-modify-write."""
    case_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(_lock_path(case_file), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` so readers see the old or the new file, never a part."""
    write_text(path, text, durable=True)


def _create_exclusive(path: Path, text: str) -> bool:
    """Write `path` only if it does not exist; return whether this call created it."""
    try:
        with staged(path, text.encode("utf-8"), durable=True) as tmp:
            # link() fails when the target exists: two creators never clobber each other.
            os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError:
        # Some file systems have no hard links; O_EXCL still refuses to clobber.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        return True


def _ensure_gitignore(folder: Path) -> None:
    path = folder / ".gitignore"
    if not path.exists():
        _create_exclusive(path, GITIGNORE_TEXT)


def _missing(what: str, name: str, where: Path, known: list[str], scope: str) -> NotFound:
    hint = close_names(name, known)
    did_you_mean = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
    return NotFound(
        f"{what} {name!r} does not exist{scope} (no {where}).{did_you_mean} "
        f"Pass --create to create it."
    )


def save_variable(
    folder: Path,
    prompt: str,
    case: str,
    var_path: str,
    value: Any,
    source: dict,
    *,
    create: bool = False,
    replace: bool = False,
) -> Path:
    """Save one variable into a test case and return the case file.

    A missing prompt or case is created only with `create`; an existing
    variable is overwritten only with `replace`. Safe to call from several
    processes at once.
    """
    folder = Path(folder)
    check_name(prompt, "prompt")
    check_name(case, "case")
    check_var_path(var_path)
    render_json(value)  # refuse a value that is not JSON before touching any file

    p_file = prompt_path(folder, prompt)
    c_file = case_path(folder, prompt, case)
    try:
        if not p_file.is_file():
            if not create:
                raise _missing("prompt", prompt, p_file, prompt_names(folder), f" in {folder}/")
            p_file.parent.mkdir(parents=True, exist_ok=True)
            _ensure_gitignore(folder)
            _create_exclusive(p_file, render_prompt(prompt))
        if not create and not c_file.exists():
            # Checked before locking too, so a typo leaves no folder or lock file behind.
            raise _missing("test case", case, c_file, case_names(folder, prompt), f" for prompt {prompt!r}")
        with case_lock(c_file):
            existing = None
            if c_file.exists():
                existing = _read_case_for_update(c_file)
            elif not create:
                raise _missing("test case", case, c_file, case_names(folder, prompt), f" for prompt {prompt!r}")
            else:
                _ensure_gitignore(folder)
            text = test_case_json(prompt, case, var_path, value, source, existing=existing, replace=replace)
            write_atomic(c_file, text)
    except OSError as exc:
        raise LibraryError(f"could not write to the library {folder}: {exc}") from None
    return c_file


def _read_case_for_update(path: Path) -> dict:
    # Refuse to rewrite a file we cannot read back: the fix belongs to a person.
    try:
        doc = json.loads(_read_text(path))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        why = exc if not isinstance(exc, RecursionError) else "nested too deep"
        raise MalformedFile(f"{path}: expected a JSON test case, could not parse it ({why}); fix or remove the file") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("variables"), dict):
        raise MalformedFile(f"{path}: expected a JSON object with a 'variables' object; fix or remove the file")
    return doc
