"""`runreport library`: list, show and save into the library store (a thin shell over runreport.library)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from runreport import library as lib

library_option = click.option(
    "--library",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=str(lib.DEFAULT_FOLDER),
    show_default=True,
    help="Library folder (holds prompts/ and cases/).",
)

VALUE_WIDTH = 100  # characters of a value shown by `show` before it is abbreviated
KNOWN_SHOWN = 5  # known entry ids listed when an entry id is unknown


class UnknownRun(click.ClickException):
    """A run id that none of the inputs contain."""


class UnknownEntry(click.ClickException):
    """An entry id that the run does not contain."""


class NoOutput(click.ClickException):
    """An entry that has no Step Output to save."""


@click.group("library")
def library() -> None:
    """Keep prompts and their test cases in a local library folder."""


@library.command("list")
@library_option
def list_command(folder: Path) -> None:
    """List the prompts with their descriptions and test cases."""
    loaded = lib.load_library(folder)
    _echo_problems(loaded)
    if not loaded.prompts:
        click.echo(f"No prompts in {folder} (expected files like {folder / lib.PROMPTS_DIR / 'NAME.md'}).")
        return
    for prompt in loaded.prompts:
        click.echo(f"{prompt.name}" + (f" - {prompt.description}" if prompt.description else ""))
        if not prompt.cases:
            click.echo("  (no test cases)")
        for case in prompt.cases:
            click.echo(f"  {case.name} ({_count(len(case.variables), 'variable')})")


@library.command("show")
@click.argument("prompt")
@library_option
def show_command(prompt: str, folder: Path) -> None:
    """Show a prompt's text and its test cases with their variables."""
    lib.check_name(prompt, "prompt")
    loaded = lib.load_library(folder)
    _echo_problems(loaded)
    found = loaded.prompt(prompt)
    if found is None:
        hint = lib.close_names(prompt, [p.name for p in loaded.prompts])
        did_you_mean = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
        raise lib.NotFound(f"prompt {prompt!r} does not exist in {folder}.{did_you_mean}")
    click.echo(f"# {found.name}")
    if found.description:
        click.echo(found.description)
    click.echo(f"file: {found.path}")
    click.echo("")
    click.echo(found.text if found.text else "(no prompt text)")
    click.echo("")
    click.echo(f"Test cases ({len(found.cases)})")
    for case in found.cases:
        click.echo(f"  {case.name} ({_count(len(case.variables), 'variable')})")
        for var in case.variables:
            click.echo(f"    {var.path} = {abbreviate(var.value)}")
            origin = _origin(var.source)
            if origin:
                click.echo(f"      {origin}")


@library.command("save")
@click.option("--run", "run_id", metavar="RUN_ID", required=True, help="Run id of the entry.")
@click.option("--entry", "entry_id", metavar="ENTRY_ID", required=True, help="Entry id whose Step Output is saved.")
@click.option("--prompt", metavar="PROMPT", required=True, help="Prompt the test case belongs to.")
@click.option("--case", metavar="CASE", required=True, help="Test case to save into.")
@click.option("--var", "var_path", metavar="PATH", help="Variable path (default: step.<step-name>.output).")
@click.option("--create", is_flag=True, help="Create the prompt and test case if they do not exist.")
@click.option("--replace", is_flag=True, help="Overwrite the variable if the case already has it.")
@click.option("--no-redact", is_flag=True,
              help="Save secret-looking values (tokens, passwords, Authorization headers, …) as "
                   "logged; by default they are saved as [redacted], as the site shows them.")
@library_option
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def save_command(
    run_id: str,
    entry_id: str,
    prompt: str,
    case: str,
    var_path: str | None,
    create: bool,
    replace: bool,
    no_redact: bool,
    folder: Path,
    inputs: tuple[Path, ...],
) -> None:
    """Save an entry's full Step Output as a variable of a test case.

    INPUTS are the run log files or folders that contain the run. The
    variable path defaults to step.<step-name>.output.
    """
    # Check what the user typed before the (possibly slow) read of the logs.
    lib.check_name(prompt, "prompt")
    lib.check_name(case, "case")
    if var_path is not None:
        lib.check_var_path(var_path)

    from runreport.pipeline import load

    loaded = load(list(inputs))
    try:
        run = loaded.run(run_id)
    except KeyError:
        known = {row.run_id: "" for row in getattr(loaded, "index", [])}
        raise UnknownRun(f"unknown run id {run_id!r} in {_paths(inputs)}; {_known('run ids', run_id, known)}") from None
    entries = run.entries_by_id
    entry = entries.get(entry_id)
    if entry is None:
        known = {e.entry_id: f" ({e.name})" for e in run.entries}
        raise UnknownEntry(f"unknown entry id {entry_id!r} in run {run_id!r}; {_known('entry ids', entry_id, known)}")
    section = entry.section("output")
    if section is None:
        raise NoOutput(f"entry {entry_id!r} ({entry.name}) of run {run_id!r} has no output to save")

    path = var_path or lib.default_variable_path(entry.name)
    source = lib.make_source(run_id, entry_id, entry.step_id, entry.name)
    existed = lib.case_path(folder, prompt, case).exists()
    from runreport.commands import config_redactor

    redactor = None if no_redact else config_redactor()
    value = section.value if redactor is None else redactor.value(section.value)
    written = lib.save_variable(folder, prompt, case, path, value, source, create=create, replace=replace)
    note = " (new test case)" if not existed else ""
    click.echo(f"Saved {path} from entry {entry_id!r} ({entry.name}) into {prompt}/{case}{note}: {written}")
    if value is not section.value:
        click.echo("Secret values were saved as [redacted], as the site shows them; "
                   "--no-redact saves them as logged.")


# --- formatting ---------------------------------------------------------------


def abbreviate(value: Any, width: int = VALUE_WIDTH) -> str:
    """Return compact JSON of `value`, cut to `width` characters with its full size noted."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if len(text) <= width:
        return text
    return f"{text[: width - 1]}… ({len(text)} characters)"


def _origin(source: dict) -> str:
    parts = []
    if source.get("run_id") is not None:
        parts.append(f"run {source['run_id']}")
    if source.get("entry_id") is not None:
        step = f" ({source['step_name']})" if source.get("step_name") else ""
        parts.append(f"entry {source['entry_id']}{step}")
    if source.get("saved_at"):
        parts.append(f"saved {source['saved_at']}")
    return "from " + ", ".join(parts) if parts else ""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _paths(inputs: tuple[Path, ...]) -> str:
    return ", ".join(str(p) for p in inputs)


def _known(what: str, wanted: str, known: dict[str, str]) -> str:
    """Name a few known ids (id -> label), the ones most like `wanted` first."""
    if not known:
        return f"no {what} are known"
    first = lib.close_names(wanted, list(known))
    shown = (first + [k for k in known if k not in first])[:KNOWN_SHOWN]
    listed = ", ".join(f"{k!r}{known[k]}" for k in shown)
    more = f" and {len(known) - len(shown)} more" if len(known) > len(shown) else ""
    return f"known {what}: {listed}{more}"


def _echo_problems(loaded: lib.Library) -> None:
    for problem in loaded.problems:
        click.echo(f"warning: {problem}", err=True)
