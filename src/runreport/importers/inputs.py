"""Inputs in another engine's format, read by every command as run logs.

`--from auto` (the default) looks at each input file: one whose first
document is an OTLP/JSON trace export (`resourceSpans`, see
runreport.importers.otlp) or an n8n execution (`workflowData` and
`data.resultData.runData`, see runreport.importers.n8n) or a Temporal
workflow history (`events` starting with WorkflowExecutionStarted, see
runreport.importers.temporal) is imported into a run log under a work
folder, and that run log is read in its place; any other file is read as a
run log. `--from otlp`, `n8n` or `temporal` imports every file as that
format, `--from runlog` none. The importer's problems name the
original file and line.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import click
import orjson

from runreport.problems import Problem
from runreport.read import find_inputs

#: Values of --from.
SOURCES = ("auto", "runlog", "otlp", "n8n", "temporal")
#: Bytes of a file looked at to recognise it.
_SNIFF_BYTES = 1 << 16


def from_option(func):
    return click.option(
        "--from", "source", type=click.Choice(SOURCES), default="auto", show_default=True,
        help="Input format: run logs, OpenTelemetry traces (OTLP/JSON), n8n executions or "
             "Temporal histories (imported on the way), or recognised file by file.")(func)


def _head(path: Path) -> bytes:
    """The first bytes of a file, decompressed when it is gzip (b"" when that fails)."""
    try:
        with (gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")) as f:
            return f.read(_SNIFF_BYTES)
    except (OSError, EOFError):
        return b""


def _first_line(path: Path) -> bytes:
    """The file's first line, whole (a BOM and leading white space dropped)."""
    try:
        with (gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")) as f:
            line = f.readline()
            while line and not line.strip():
                line = f.readline()
    except (OSError, EOFError):
        return b""
    return line.lstrip(b"\xef\xbb\xbf \t\r\n")


def _is_trace_export(value) -> bool:
    if isinstance(value, list) and value:
        value = value[0]
    return isinstance(value, dict) and isinstance(value.get("resourceSpans", value.get("resource_spans")), list)


#: Keys an export's document may have at its top (n8n, Temporal, OTLP); a run-log record
#: names its run and has none of them.
_EXPORT_KEYS = frozenset({"workflowData", "data", "events", "resourceSpans", "resource_spans"})


def _format_of(value) -> str:
    """"otlp", "n8n", "temporal" or "runlog": what a parsed document is."""
    # (A run-log record is told at once: a rebuild then imports none of the importers.)
    if isinstance(value, dict) and "run_id" in value and not _EXPORT_KEYS & value.keys():
        return "runlog"
    from runreport.importers import n8n, temporal

    if _is_trace_export(value):
        return "otlp"
    if n8n.is_export(value):
        return "n8n"
    return "temporal" if temporal.is_export(value) else "runlog"


#: How an export of each format starts, white space aside (a pretty-printed document).
_STARTS = {"otlp": (b'{"resourceSpans"', b'{"resource_spans"', b'[{"resourceSpans"', b'[{"resource_spans"'),
           "n8n": (b'{"', b'[{"'),
           "temporal": (b'{"events"', b'[{"eventId"', b'[{"eventTime"', b'[{"eventType"')}


def sniff(path: Path) -> str:
    """"otlp" or "n8n" when the file's first document is such an export, else "runlog".

    The first line must be one (JSON Lines), or the whole file one document
    (pretty-printed): a first line that merely starts like one, followed by
    run-log records, is a damaged run log, read as such.
    """
    head = _head(path).lstrip(b"\xef\xbb\xbf \t\r\n")
    first = head.split(b"\n", 1)[0]
    if len(first) == len(head) and len(head) >= _SNIFF_BYTES and head.startswith(b"{"):
        first = _first_line(path)  # (an export's line can be megabytes long)
    try:
        return _format_of(orjson.loads(first))
    except orjson.JSONDecodeError:
        pass
    compact = head[:4096].replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\t", b"")
    looks = [name for name, starts in _STARTS.items() if compact.startswith(starts)]
    # (An n8n document starts like any object: only one naming its parts near the top is read whole.)
    if "n8n" in looks and not (b'"workflowData"' in head or b'"resultData"' in head):
        looks.remove("n8n")
    if not looks:
        return "runlog"
    try:  # (only a file that starts like a pretty export is read whole)
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        return _format_of(orjson.loads(data.lstrip(b"\xef\xbb\xbf")))
    except (OSError, EOFError, gzip.BadGzipFile, orjson.JSONDecodeError):
        return "runlog"


def prepare(inputs, source: str, work: Path, *, following: bool = False) -> tuple[list[Path], list[Problem]]:
    """The run-log files to read for `inputs`: each export imported into `work`.

    `following` (watch, serve --watch): an export's last line without its newline
    is still being written and waits. An import that grew only by new runs grows
    its run log the same way, so the store reads just the appended records.
    """
    if source == "runlog":
        return find_inputs(inputs), []
    files = all_files(inputs)
    kinds = {path: sniff(path) if source == "auto" else source for path in files}
    if all(kind == "runlog" for kind in kinds.values()):  # (no importer to load: a rebuild's start-up)
        return files, []
    from runreport.importers.command import iter_records, read_documents

    out: list[Path] = []
    problems: list[Problem] = []
    # Temporal histories are imported file by file, but a child's history nests in its
    # parent's run wherever the parent's history is: where each goes is found first.
    temporal = [path for path in files if kinds[path] == "temporal"]
    nesting = None
    if len(temporal) > 1:
        from runreport.importers.temporal import nestings_of

        nesting = nestings_of(read_documents(temporal, [], tail_waits=following))
    for path in files:
        kind = kinds[path]
        if kind == "runlog":
            out.append(path)
            continue
        passed: list = []

        def exports(path=path, passed=passed):
            for doc in read_documents([path], problems, tail_waits=following):
                # A run-log record among the exports (a mixed file) is kept as it is, after them.
                if isinstance(doc.value, dict) and "type" in doc.value and _format_of(doc.value) == "runlog":
                    passed.append(doc.value)
                else:
                    yield doc

        work.mkdir(parents=True, exist_ok=True)
        # (Named after the export's path as given, and read by a path relative to the working
        # folder where there is one: a record's place, which its run's content hash and the
        # build id cover, is then the same wherever the repository and the store are.)
        name = hashlib.sha256(os.fsencode(os.path.normpath(path))).hexdigest()[:16]
        target = _relative(work / f"{path.name}.{name}.jsonl")
        part = target.with_name(target.name + ".part")
        digest = hashlib.sha256()
        # Written as it is imported (an export of any length costs one run's memory) ...
        with open(part, "wb") as f:
            for record in iter_records(kind, exports(), problems, nesting=nesting):
                line = orjson.dumps(record) + b"\n"
                digest.update(line)
                f.write(line)
            for record in passed:
                line = orjson.dumps(record) + b"\n"
                digest.update(line)
                f.write(line)
        # ... and replaces the last import only when it changed: the store reads on from
        # where it stopped.
        if target.is_file() and _file_digest(target) == digest.digest():
            part.unlink()
        else:
            os.replace(part, target)
        out.append(target)
    return out, problems


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def _relative(path: Path) -> Path:
    try:
        return Path(os.path.relpath(path))
    except ValueError:  # (another drive)
        return path


def all_files(inputs) -> list[Path]:
    """Files given by name as they are, and in folders run logs plus exports (*.json)."""
    named = [Path(p) for p in inputs]
    found = find_inputs(named)
    for folder in (p for p in named if p.is_dir()):
        # (A folder's other .json files, configs say, are no input: only exports join.)
        found.extend(p for p in folder.rglob("*")
                     if p.is_file() and p.name.endswith((".json", ".json.gz")) and sniff(p) != "runlog")
    return sorted(dict.fromkeys(found), key=lambda p: p.as_posix())
