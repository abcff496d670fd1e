"""The read-only commands: summary, validate, schema.

Shared option decorators live here too, so every command spells its
inputs, `--strict` and `--store` the same way.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from runreport.importers.inputs import from_option


class InputNotFound(click.ClickException):
    """An INPUT path that does not exist or cannot be read: a usage error, as in `build`."""

    exit_code = 2


def inputs_argument(func):
    return click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))(func)


def strict_option(func):
    return click.option(
        "--strict", is_flag=True, help="Exit with status 1 when the input has any problem."
    )(func)


def store_option(func):
    return click.option(
        "--store",
        "store_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder remembering what was read, so later reads process only what was appended.",
    )(func)


class StderrProgress:
    """Progress lines on stderr for long reads, never on stdout.

    Quiet for reads that finish within a second, then at most one line
    every two seconds, so short commands print nothing extra.
    """

    def __init__(self, quiet_for: float = 1.0, every: float = 2.0):
        self.start = time.monotonic()
        self.quiet_until = self.start + quiet_for
        self.every = every
        self.last = 0.0

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        if now < self.quiet_until or now - self.last < self.every:
            return
        self.last = now
        click.echo(f"runreport: {message}", err=True)


def load_inputs(inputs, store_dir: Path | None = None, on_settle=None, source: str = "runlog"):
    """Load INPUTs through the pipeline, turning a missing path into a clean error.

    `source` (--from): inputs in another engine's format are imported on the way
    (runreport.importers.inputs), under the store or a temporary folder, and the
    importer's problems join the input's.
    """
    import tempfile

    from runreport.pipeline import load
    from runreport.problems import with_problems
    from runreport.read import InputError

    work_tmp = None
    try:
        found: list = []
        if source != "runlog":
            from runreport.importers.inputs import prepare
            from runreport.store import IMPORTED

            if store_dir is None:
                work_tmp = tempfile.TemporaryDirectory(prefix="runreport-import-")
            work = Path(work_tmp.name) if work_tmp else Path(store_dir) / IMPORTED
            inputs, found = prepare(inputs, source, work)
        loaded = load(list(inputs), store_dir=store_dir, progress=StderrProgress(), on_settle=on_settle)
    except InputError as exc:
        raise InputNotFound(str(exc)) from exc
    loaded.problems = with_problems(loaded.problems, found)
    if work_tmp is not None:
        loaded._imported = work_tmp  # (kept as long as the runs may be read)
    return loaded


def allow_empty_option(func):
    return click.option(
        "--allow-empty", is_flag=True,
        help="Succeed when the inputs hold no run (by default that is an error: a typo'd path "
             "or an empty folder would otherwise give a green job with an empty report).")(func)


class EmptyInput(click.ClickException):
    """The inputs hold no file to read, or no run."""


def check_not_empty(loaded, inputs, allow_empty: bool) -> None:
    """Stop with exit status 1, naming the paths and what was looked for, when nothing was read."""
    from runreport.read import INPUT_SUFFIXES

    if allow_empty or loaded.index:
        return
    paths = ", ".join(str(p) for p in inputs)
    patterns = ", ".join(f"*{s}" for s in INPUT_SUFFIXES)
    if not loaded.files:
        raise EmptyInput(f"no input files in {paths} (folders are searched for {patterns}); "
                         "--allow-empty if that is expected")
    count = len(loaded.files)
    raise EmptyInput(f"no run in the {count:,} input file{'' if count == 1 else 's'} read from {paths}; "
                     "--allow-empty if that is expected")


def ci_options(func):
    """`--fail-on`, `--junit`, `--summary-md` and `--link-base` (build and summary)."""
    from runreport.ciout import GATES

    decorators = [
        click.option("--fail-on", "fail_on", multiple=True, type=click.Choice(list(GATES)),
                     help="Exit with status 1 when any run matches (failed, error: any step error, "
                          "rejected, running: unfinished, problems: input problems); repeatable."),
        click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write JUnit XML: a test suite per composer, a test case per run."),
        click.option("--summary-md", "summary_md", type=click.Path(dir_okay=False, path_type=Path),
                     help="Append a Markdown job summary (totals, runs with errors) to this file, "
                          "e.g. $GITHUB_STEP_SUMMARY."),
        click.option("--link-base", metavar="URL",
                     help="Where the site is hosted, to make the summary's run links absolute."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def ci_outputs(loaded, *, fail_on=(), junit_file=None, summary_md=None, link_base=None,
               redactor=None) -> list[str]:
    """Write the JUnit and Markdown files asked for; the lines of the gates that matched."""
    from runreport.atomic import write_text
    from runreport.ciout import gate_failures, junit_xml, markdown_summary

    if not (fail_on or junit_file or summary_md):
        return []
    runs = list(loaded.runs())
    if junit_file:
        write_text(Path(junit_file), junit_xml(runs, redactor))
    if summary_md:
        with open(summary_md, "a", encoding="utf-8") as fh:  # (appended, as GitHub's step summary expects)
            fh.write(markdown_summary(runs, loaded.problems, link_base, redactor))
    return gate_failures(runs, loaded.problems, fail_on)


def config_redactor():
    """The site's redaction as ./runreport.toml sets it (for commands without site options)."""
    from runreport.site.command import masked_env
    from runreport.site.config import load_config
    from runreport.site.redact import Redactor

    config = load_config(None)
    return Redactor(config.redact_keys, masked_env(config.mask_env)[1]) if config.redact else None


def print_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def warn_store_damage(loaded, store_dir) -> None:
    """Say when the store was damaged (and everything read again from the inputs)."""
    if getattr(loaded, "store_damage", None) and store_dir is not None:
        click.echo(f"warning: the store {store_dir} was damaged ({loaded.store_damage}); "
                   "everything was read again from the inputs", err=True)


@click.command()
@inputs_argument
@click.option("--json", "as_json", is_flag=True, help="Print the derived facts as JSON (runs newest first).")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "markdown"]),
              default=None, help="table (default), json (as --json) or markdown (a job summary).")
@click.option("--details", is_flag=True,
              help="With --json: add each run's duration_ms, first_error and counts "
                   "(the shape: `runreport schema --summary`).")
@click.option("--stats", is_flag=True,
              help="With --json: add aggregates across runs under \"stats\": per composer runs by "
                   "status and day, success rate, p50/p95 durations, slowest steps; failures "
                   "grouped by cause.")
@strict_option
@store_option
@ci_options
@allow_empty_option
@from_option
def summary(inputs, as_json: bool, output_format: str | None, details: bool, stats: bool, strict: bool,
            store_dir: Path | None, fail_on, junit_file, summary_md, link_base, allow_empty,
            source: str) -> None:
    """Print every run with its derived status, newest first."""
    import orjson

    from runreport.summary import format_table, summary_document, table_rows

    loaded = load_inputs(inputs, store_dir, source=source)
    warn_store_damage(loaded, store_dir)
    check_not_empty(loaded, inputs, allow_empty)
    as_json = as_json or output_format == "json"
    if details and not as_json:
        raise click.UsageError("--details goes with --json (or --format json).")
    if stats and not as_json:
        raise click.UsageError("--stats goes with --json (or --format json).")
    redactor = (config_redactor() if (junit_file or summary_md or output_format == "markdown" or details
                                      or stats) else None)
    if output_format == "markdown":
        from runreport.ciout import markdown_summary

        click.echo(markdown_summary(list(loaded.runs()), loaded.problems, link_base, redactor), nl=False)
    elif as_json:
        document = summary_document(loaded.runs(), loaded.problems, details, redactor)
        if stats:
            from runreport.stats import stats_document

            document["stats"] = stats_document(loaded.runs(), list(loaded.index),
                                               redactor.text if redactor is not None else None)
        sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
    else:
        from runreport.stale import DEFAULT_STALE_AFTER, is_stale, stale_before

        before = stale_before(loaded.index, DEFAULT_STALE_AFTER)
        quiet = [r.run_id for r in loaded.index if is_stale(r, before)]
        header = ("STATUS", "COMPOSER", "MODE", "STARTED", "ENTRIES", "RUN")
        click.echo(format_table(header, table_rows(loaded.runs(), quiet)))
        if quiet:
            click.echo(f"(quiet: running, yet no record for over {DEFAULT_STALE_AFTER // 60} minutes "
                       "before the newest record of the input)")
        print_problems(loaded.problems)
        if loaded.problems:
            count = len(loaded.problems)
            click.echo(f"{count:,} problem{'' if count == 1 else 's'} in the input; see `runreport validate`.",
                       err=True)
    failed = ci_outputs(loaded, fail_on=fail_on, junit_file=junit_file, summary_md=summary_md,
                        link_base=link_base, redactor=redactor)
    for line in failed:
        click.echo(line, err=True)
    if failed or (strict and loaded.problems):
        sys.exit(1)


@click.command()
@inputs_argument
@strict_option
@allow_empty_option
@from_option
def validate(inputs, strict: bool, allow_empty: bool, source: str) -> None:
    """Check run logs against the format, one line per problem.

    Each problem is printed as path:line: message.

    Exits with status 1 when there is any problem (`--strict` is accepted
    for symmetry with the other commands).
    """
    loaded = load_inputs(inputs, source=source)
    for problem in loaded.problems:
        click.echo(str(problem))
    if not loaded.problems:
        check_not_empty(loaded, inputs, allow_empty)
    click.echo(validate_footer(len(loaded.problems), len({p.file for p in loaded.problems}),
                               len(loaded.files), len(loaded.index)))
    if loaded.problems:
        sys.exit(1)


@click.command()
@click.option("--summary", "of_summary", is_flag=True,
              help="The schema of `summary --json` output instead of the run log's.")
def schema(of_summary: bool) -> None:
    """Print the JSON Schema (draft 2020-12) of the run log records."""
    import orjson

    from runreport.schema import json_schema, summary_schema

    document = summary_schema() if of_summary else json_schema()
    sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def validate_footer(problems: int, files_with_problems: int, files: int, runs: int) -> str:
    """`4 problems in 1 of 8 files; 37 runs read` (not "in 8 file(s)": they were in one)."""
    def n(count: int, word: str) -> str:
        return f"{count:,} {word}{'' if count == 1 else 's'}"

    where = f"in {files_with_problems:,} of {n(files, 'file')}" if problems else f"in {n(files, 'file')}"
    return f"{n(problems, 'problem') if problems else 'no problems'} {where}; {n(runs, 'run')} read"
