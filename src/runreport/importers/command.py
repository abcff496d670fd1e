"""`runreport import FORMAT INPUT… [-o FILE]`: another engine's export as a run log."""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import orjson

from runreport.problems import Problem

#: Files a folder given as input contributes (an exporter names its files .json or .jsonl).
_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")


def _files(inputs: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for given in inputs:
        if given.is_dir():
            found.extend(p for p in given.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES))
        else:
            found.append(given)
    return sorted(dict.fromkeys(found), key=lambda p: p.as_posix())


def read_documents(files: list[Path], problems: list[Problem], *, tail_waits: bool = False) -> Iterator:
    """Each file's documents: the whole file when it is one JSON document, else one per
    line (JSON Lines); a line that is not JSON is a problem naming its file and line.

    JSON Lines are read a line at a time, so an export of any length costs the memory
    of its largest document. `tail_waits`: a last line without its newline is still
    being written (a file followed by `watch`): it is left for a later read, as run
    logs' are."""
    for path in files:
        display = str(path)
        try:
            with (gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")) as f:
                yield from _documents(f, display, problems, tail_waits)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            problems.append(Problem(display, 0, None, "error", f"cannot read the file: {exc}"))


def _documents(f, display: str, problems: list[Problem], tail_waits: bool) -> Iterator:
    from runreport.importers.otlp import Document

    first = f.readline()
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    second = f.readline() if first.endswith(b"\n") else b""
    try:
        value = orjson.loads(first)
    except orjson.JSONDecodeError:
        value = None
    if value is not None and second.strip() and not second.lstrip().startswith((b"]", b"}", b",")):
        # JSON Lines: the first line is a document of its own and another follows.
        lines = _lines(first, second, f)
    else:
        data = first + second + f.read()
        try:
            whole = orjson.loads(data)
        except orjson.JSONDecodeError:
            whole = None
        if whole is not None:
            for item in whole if isinstance(whole, list) else [whole]:
                yield Document(item, display, 1)
            return
        parts = data.split(b"\n")  # (as a file iterates its lines: at "\n" only)
        lines = iter([part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else []))
    for number, line in enumerate(lines, start=1):
        if tail_waits and not line.endswith(b"\n"):
            return  # (the last line, still being written)
        if not line.strip():
            continue
        try:
            yield Document(orjson.loads(line), display, number)
        except orjson.JSONDecodeError as exc:
            problems.append(Problem(display, number, None, "error",
                                    f"expected a JSON document, found invalid JSON: {exc.msg} "
                                    f"at column {exc.colno}; line skipped"))


def _lines(first: bytes, second: bytes, rest) -> Iterator[bytes]:
    yield first
    yield second
    yield from rest


def _otlp_records(documents):
    from runreport.importers.otlp import records

    return records(documents)


def _n8n_records(documents):
    from runreport.importers.n8n import records

    return records(documents)


def _temporal_records(documents):
    from runreport.importers.temporal import records

    return records(documents)


#: Each format's importer: parsed documents -> (run-log records, problems).
IMPORTERS = {"otlp": _otlp_records, "n8n": _n8n_records, "temporal": _temporal_records}


def iter_records(kind: str, documents, problems: list[Problem], *, nesting=None) -> Iterator[dict]:
    """A format's records one by one (n8n executions stand alone; a trace's spans, and a
    child workflow's parent, may come in any document, so OTLP and Temporal spill what
    they read to a file first)."""
    if kind == "n8n":
        from runreport.importers.n8n import iter_records as each
    elif kind == "temporal":
        from runreport.importers.temporal import iter_records

        yield from iter_records(documents, problems, nesting)  # (`nesting`: of all the inputs)
        return
    else:
        from runreport.importers.otlp import iter_records as each
    yield from each(documents, problems)


@click.group("import")
def import_() -> None:
    """Turn another engine's export into a run log (OpenTelemetry traces, n8n executions,
    Temporal workflow histories)."""


def _export_arguments(command):
    """INPUT… and -o FILE, as every format's import takes them."""
    command = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                           help="File to write the run log to (default: standard output).")(command)
    return click.argument("inputs", nargs=-1, required=True,
                          type=click.Path(exists=True, path_type=Path))(command)


@import_.command("otlp")
@_export_arguments
def otlp(inputs: tuple[Path, ...], output: Path | None) -> None:
    """OpenTelemetry traces (OTLP/JSON, as the Collector's file exporter writes them):
    each trace becomes a run, each span an entry under its parent span."""
    _convert("otlp", inputs, output, ("trace", "traces", "span", "spans"))


@import_.command("n8n")
@_export_arguments
def n8n(inputs: tuple[Path, ...], output: Path | None) -> None:
    """n8n executions with their data (the REST API's `executions/{id}?includeData=true`,
    its list page, or executions one per line): each execution becomes a run, each run
    of a node an entry."""
    _convert("n8n", inputs, output, ("execution", "executions", "node run", "node runs"))


@import_.command("temporal")
@_export_arguments
def temporal(inputs: tuple[Path, ...], output: Path | None) -> None:
    """Temporal workflow histories (`temporal workflow show --output json`, tctl, the Web
    UI's download): each execution becomes a run; its activities, timers, child
    workflows and signals its entries."""
    _convert("temporal", inputs, output, ("workflow execution", "workflow executions", "entry", "entries"))


def _convert(kind: str, inputs: tuple[Path, ...], output: Path | None,
             words: tuple[str, str, str, str]) -> None:
    """Import `inputs` as `kind`, write the run log, say what was found (`words`: a run and
    an entry in the format's terms, singular and plural)."""
    problems: list[Problem] = []
    files = _files(inputs)
    runs = steps = 0
    # Written as they come (an export of any length costs one run's memory), to a
    # temporary file beside FILE that replaces it once all is read.
    target = sys.stdout.buffer if output is None else open(output.with_name(output.name + ".part"), "wb")
    try:
        for record in iter_records(kind, read_documents(files, problems), problems):
            runs += record["type"] == "run"
            steps += record["type"] == "step"
            target.write(orjson.dumps(record) + b"\n")
    finally:
        if output is not None:
            target.close()
    for problem in problems:
        click.echo(str(problem), err=True)
    run_word, runs_word, step_word, steps_word = words
    if not runs:
        if output is not None:
            output.with_name(output.name + ".part").unlink(missing_ok=True)
        raise click.ClickException(f"no {run_word} found in {len(files)} file{'s' * (len(files) != 1)}: "
                                   + ", ".join(str(f) for f in files[:5]))
    if output is None:
        sys.stdout.flush()
    else:
        os.replace(output.with_name(output.name + ".part"), output)
    click.echo(f"imported {runs:,} {run_word if runs == 1 else runs_word} "
               f"({steps:,} {step_word if steps == 1 else steps_word})"
               + (f" into {output}" if output else "")
               + (f"; {len(problems):,} problem{'s' * (len(problems) != 1)}" if problems else ""), err=True)
