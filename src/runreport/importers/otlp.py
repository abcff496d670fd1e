"""OpenTelemetry traces (OTLP/JSON) as runs: a trace is a run, its spans are its entries.

Input: what the OpenTelemetry Collector's file exporter writes (one
`ExportTraceServiceRequest` per line) or one such document: `resourceSpans[]
.scopeSpans[].spans[]`. Spans of one trace may come in several documents;
they are gathered by `traceId`. docs/importers.md has the mapping as a table.

OTLP/JSON writes ids as hex, 64-bit numbers as decimal strings (numbers are
read too), enums as integers (their names are read too), and keys in
lowerCamelCase (snake_case is read too).
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from runreport.problems import Problem

#: Span kinds by their number (OTLP's SpanKind) and by name.
_SPAN_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
#: Status codes: 0 unset, 1 ok, 2 error.
_STATUS_ERROR = {2, "STATUS_CODE_ERROR", "ERROR"}
#: Resource attribute values of `deployment.environment(.name)` that make a run "test".
_TEST_ENVIRONMENTS = {"test", "testing", "dev", "development", "staging", "ci", "qa", "local"}


@dataclass
class Document:
    """One parsed OTLP/JSON document and where it was read."""

    value: Any
    file: str
    line: int


@dataclass
class _Span:
    span: dict
    resource: dict  # its resource's attributes, flattened
    scope: str | None
    file: str
    line: int


@dataclass
class _Trace:
    trace_id: str
    spans: list[_Span] = field(default_factory=list)


def _get(obj: Any, name: str) -> Any:
    """A field by its lowerCamelCase name, or its snake_case spelling."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
    return obj.get(snake)


def any_value(value: Any) -> Any:
    """An OTLP AnyValue as plain JSON: strings, numbers, booleans, lists and objects."""
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "string_value"):
        if key in value:
            return value[key]
    for key in ("boolValue", "bool_value", "doubleValue", "double_value"):
        if key in value:
            return value[key]
    for key in ("intValue", "int_value"):
        if key in value:
            raw = value[key]
            try:
                return int(raw)
            except (TypeError, ValueError):
                return raw
    array = _get(value, "arrayValue")
    if isinstance(array, dict):
        return [any_value(v) for v in _get(array, "values") or []]
    kvlist = _get(value, "kvlistValue")
    if isinstance(kvlist, dict):
        return attributes(_get(kvlist, "values"))
    raw = _get(value, "bytesValue")
    if raw is not None:
        return {"bytes_base64": raw}
    return None


def attributes(items: Any) -> dict:
    """OTLP attributes (a list of {key, value}) as one object, in their order."""
    out: dict = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = any_value(item.get("value"))
    return out


def _instant(nanos: Any) -> str | None:
    """Unix nanoseconds (a string or a number) as RFC 3339 UTC with microseconds; None for 0."""
    try:
        n = int(nanos)
    except (TypeError, ValueError):
        return None
    if n <= 0:
        return None
    seconds, nanos = divmod(n, 1_000_000_000)
    try:
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=nanos // 1000)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _spans(documents: Iterable[Document], problems: list[Problem]) -> Iterator[_Span]:
    """Every span of `documents` with its resource and scope, as read."""
    for doc in documents:
        resource_spans = _get(doc.value, "resourceSpans")
        if not isinstance(resource_spans, list):
            if not isinstance(doc.value, dict):
                found = f"a JSON {_json_kind(doc.value)}"
            elif resource_spans is None:
                found = "an object without it"
            else:
                found = f'"resourceSpans" holding a JSON {_json_kind(resource_spans)}'
            problems.append(Problem(doc.file, doc.line, None, "error",
                                    'expected an OTLP/JSON trace document (an object whose "resourceSpans" '
                                    f"is a list), found {found}; document skipped"))
            continue
        for rs in resource_spans:
            resource = attributes(_get(_get(rs, "resource"), "attributes"))
            for ss in _get(rs, "scopeSpans") or _get(rs, "instrumentationLibrarySpans") or []:
                scope = _get(_get(ss, "scope"), "name") or _get(_get(ss, "instrumentationLibrary"), "name")
                for span in _get(ss, "spans") or []:
                    trace_id = _get(span, "traceId")
                    if not isinstance(span, dict) or not isinstance(trace_id, str) or not trace_id \
                            or not isinstance(_get(span, "spanId"), str):
                        problems.append(Problem(doc.file, doc.line, None, "error",
                                                "expected a span with a traceId and a spanId (hex strings); "
                                                "span skipped"))
                        continue
                    yield _Span(span, resource, scope if isinstance(scope, str) else None, doc.file, doc.line)


def iter_records(documents: Iterable[Document], problems: list[Problem]) -> Iterator[dict]:
    """Run-log records of every trace in `documents` (traces in order of first sight,
    spans by start time), a trace at a time.

    A trace's spans may come in any document, so every span is read before the
    first trace is written; they wait in a spill file, not in memory (memory
    holds two integers a span and the largest trace).
    """
    with tempfile.TemporaryFile(prefix="runreport-otlp-") as spill:
        places: dict[str, array] = {}  # trace id -> (offset, length) of each of its spans
        at = 0
        for s in _spans(documents, problems):
            # (pickle keeps every value exactly as parsed, big integers and all)
            data = pickle.dumps((s.span, s.resource, s.scope, s.file, s.line), pickle.HIGHEST_PROTOCOL)
            spill.write(data)
            trace_id = _get(s.span, "traceId")
            refs = places.get(trace_id)
            if refs is None:
                refs = places[trace_id] = array("q")
            refs.extend((at, len(data)))
            at += len(data)
        spill.flush()
        fd = spill.fileno()
        for trace_id, refs in places.items():
            spans = [_Span(*pickle.loads(os.pread(fd, refs[i + 1], refs[i]))) for i in range(0, len(refs), 2)]
            yield from _trace_records(_Trace(trace_id, spans), problems)


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _status_is_error(span: dict) -> bool:
    code = _get(_get(span, "status"), "code")
    return code in _STATUS_ERROR


def _error_of(span: dict) -> Any:
    """The span's error: its `exception` event (message, type, stack), else its status message."""
    for event in _get(span, "events") or []:
        if _get(event, "name") == "exception":
            attrs = attributes(_get(event, "attributes"))
            error = {"message": attrs.get("exception.message") or attrs.get("exception.type") or "exception"}
            if "exception.type" in attrs:
                error["type"] = attrs["exception.type"]
            if "exception.stacktrace" in attrs:
                error["stack"] = attrs["exception.stacktrace"]
            return error
    message = _get(_get(span, "status"), "message")
    if _status_is_error(span):
        return {"message": message if isinstance(message, str) and message else "span status ERROR"}
    return None


def _http(attrs: dict) -> dict | None:
    method = attrs.get("http.request.method", attrs.get("http.method"))
    url = attrs.get("url.full", attrs.get("http.url"))
    if url is None and "url.path" in attrs:
        url = attrs.get("url.path")
    status = attrs.get("http.response.status_code", attrs.get("http.status_code"))
    if method is None and url is None and status is None:
        return None
    http: dict = {"request": {k: v for k, v in (("method", method), ("url", url)) if v is not None}}
    if isinstance(status, int):
        http["response"] = {"status": status}
    return http


def _kind(attrs: dict, span: dict) -> str:
    if any(k.startswith("http.") or k.startswith("url.") for k in attrs):
        return "http"
    if "db.system" in attrs or "db.system.name" in attrs:
        return "database"
    if "messaging.system" in attrs:
        return "messaging"
    kind = _get(span, "kind")
    if isinstance(kind, str):
        return kind.removeprefix("SPAN_KIND_").lower()
    return _SPAN_KINDS.get(kind, "span") if isinstance(kind, int) else "span"


def _summary(attrs: dict) -> dict:
    rows = {}
    for label, keys in (("database", ("db.system.name", "db.system")),
                        ("table", ("db.collection.name", "db.sql.table")),
                        ("operation", ("db.operation.name", "db.operation")),
                        ("destination", ("messaging.destination.name", "messaging.destination")),
                        ("peer", ("server.address", "net.peer.name"))):
        for key in keys:
            value = attrs.get(key)
            if isinstance(value, (str, int, float, bool)):
                rows[label] = value
                break
    return rows


def records(documents: Iterable[Document]) -> tuple[list[dict], list[Problem]]:
    """Run-log records of every trace in `documents` (as `iter_records`), and the problems met."""
    problems: list[Problem] = []
    out = list(iter_records(documents, problems))
    return out, problems


def _trace_records(trace: _Trace, problems: list[Problem]) -> Iterator[dict]:
    ids = {_get(s.span, "spanId") for s in trace.spans}
    spans = sorted(trace.spans, key=lambda s: (_start(s.span), _get(s.span, "spanId")))
    roots = [s for s in spans if not _get(s.span, "parentSpanId")]
    root = roots[0] if roots else spans[0]
    service = root.resource.get("service.name")
    composer = " · ".join(str(p) for p in (service, _get(root.span, "name")) if p) or "trace"
    environment = root.resource.get("deployment.environment.name", root.resource.get("deployment.environment"))
    mode = "test" if isinstance(environment, str) and environment.lower() in _TEST_ENVIRONMENTS else "live"
    started = min((_start(s.span) for s in spans if _start(s.span)), default=0)
    yield {"v": 1, "type": "run", "run_id": trace.trace_id, "composer": composer, "mode": mode,
           **({"started_at": _instant(started)} if started else {}),
           "meta": {"resource": root.resource, **({"scope": root.scope} if root.scope else {})}}
    for s in spans:
        span = s.span
        span_id = _get(span, "spanId")
        parent = _get(span, "parentSpanId") or None
        if parent is not None and parent not in ids:
            problems.append(Problem(s.file, s.line, trace.trace_id, "warning",
                                    f'span "{span_id}": its parent "{parent}" is not in this trace; '
                                    "shown at the top"))
            parent = None
        attrs = attributes(_get(span, "attributes"))
        ended = _instant(_get(span, "endTimeUnixNano"))
        failed = _status_is_error(span)
        name = _get(span, "name")
        record: dict = {
            "type": "step", "run_id": trace.trace_id, "entry_id": span_id,
            "name": name if isinstance(name, str) and name else span_id,
            "kind": _kind(attrs, span),
            "status": "error" if failed else ("running" if ended is None else "success"),
        }
        service = s.resource.get("service.name")
        if isinstance(service, str) and service:
            record["automation"] = service
        if parent is not None:
            record["parent"] = parent
        started_at = _instant(_get(span, "startTimeUnixNano"))
        if started_at:
            record["started_at"] = started_at
        if ended:
            record["ended_at"] = ended
        http = _http(attrs)
        if http is not None:
            record["http"] = http
        summary = _summary(attrs)
        if summary:
            record["summary"] = summary
        if failed:
            record["error"] = _error_of(span)
        if attrs:
            record["attributes"] = attrs  # (not a field of the format: shown as "Other fields")
        # Events other than the exception that failed the span stay, as logged.
        events = [e for e in _get(span, "events") or [] if not (failed and _get(e, "name") == "exception")]
        if events:
            record["events"] = [{"name": _get(e, "name"), "time": _instant(_get(e, "timeUnixNano")),
                                 **({"attributes": attributes(_get(e, "attributes"))}
                                    if _get(e, "attributes") else {})} for e in events]
        yield record
    if _instant(_get(root.span, "endTimeUnixNano")) and not _get(root.span, "parentSpanId"):
        end: dict = {"type": "run_end", "run_id": trace.trace_id,
                     "ended_at": _instant(_get(root.span, "endTimeUnixNano"))}
        if _status_is_error(root.span):
            end["error"] = _error_of(root.span)
        yield end


def _start(span: dict) -> int:
    try:
        return int(_get(span, "startTimeUnixNano"))
    except (TypeError, ValueError):
        return 0
