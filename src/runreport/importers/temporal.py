"""Temporal workflow histories as runs: an execution is a run, its activities, timers,
child workflows and signals are its entries.

Input: a history as `temporal workflow show --output json` writes it, or as
tctl and the Web UI's "download history" write it: `{"events": [...]}` (or
the array of events alone), one history per file or one per line. Event
types come in two spellings, both read: `EVENT_TYPE_ACTIVITY_TASK_SCHEDULED`
(the `temporal` CLI) and `ActivityTaskScheduled` (tctl, the Web UI), and
enum values likewise; event ids may be strings or numbers. docs/importers.md
has the mapping as a table.

Pure: parsed documents in, run-log records and problems out.
"""

from __future__ import annotations

import base64
import binascii
import os
import pickle
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from runreport.importers.otlp import Document
from runreport.problems import Problem

#: Closing events: how the execution ended, and the run error when it is no success.
_CLOSED = {"WorkflowExecutionCompleted", "WorkflowExecutionFailed", "WorkflowExecutionTimedOut",
           "WorkflowExecutionTerminated", "WorkflowExecutionCanceled", "WorkflowExecutionContinuedAsNew"}
#: Events that are the engine's own bookkeeping, shown nowhere.
_INTERNAL = re.compile(r"WorkflowTask|MarkerRecorded|UpsertWorkflowSearchAttributes|WorkflowPropertiesModified")


def event_type(event: dict) -> str:
    """An event's type in one spelling, `ActivityTaskScheduled`, whichever it was written in."""
    kind = event.get("eventType", event.get("event_type"))
    if not isinstance(kind, str):
        return ""
    if kind.startswith("EVENT_TYPE_"):
        return "".join(word.capitalize() for word in kind[len("EVENT_TYPE_"):].split("_"))
    return kind


def _attributes(event: dict) -> dict:
    """The event's `…EventAttributes` object (whatever its type), or {}."""
    for key, value in event.items():
        if key.endswith("EventAttributes") and isinstance(value, dict):
            return value
    return {}


def _events(value: Any) -> list | None:
    if isinstance(value, dict):
        value = value.get("events", value.get("history", {}).get("events")
                          if isinstance(value.get("history"), dict) else None)
    if isinstance(value, list) and value and all(isinstance(e, dict) for e in value[:3]):
        return value
    return None


def is_export(value: Any) -> bool:
    """Whether a parsed document is a Temporal history (its first event starts a workflow)."""
    events = _events(value)
    return bool(events) and event_type(events[0]) == "WorkflowExecutionStarted"


def records(documents: Iterable[Document]) -> tuple[list[dict], list[Problem]]:
    """Run-log records of every history in `documents`, in the order read."""
    problems: list[Problem] = []
    return list(iter_records(documents, problems)), problems


@dataclass(frozen=True)
class Nesting:
    """Where a child workflow's history goes: into its root ancestor's run, under the entry
    of its parent that started it; its entry ids prefixed (they would clash with the parent's)."""

    run_id: str
    parent_entry: str
    prefix: str  # of its entry ids, "<parent entry>/"


def iter_records(documents: Iterable[Document], problems: list[Problem],
                 nesting: dict[str, Nesting] | None = None) -> Iterator[dict]:
    """The same, a history at a time.

    A child workflow whose history is among the documents is nested under the
    entry of its parent that started it, in its parent's run (so a parent's
    history is needed before its children's are written): every history is
    read first and waits in a spill file, not in memory (memory holds a few
    ids a history, and the largest history). Histories are written in the
    order read; nested ones after the runs they go into. `nesting` (from
    `nestings_of` all the inputs) nests children whose parents are in other files.
    """
    with tempfile.TemporaryFile(prefix="runreport-temporal-") as spill:
        places: list[tuple[int, int, str, int, str]] = []  # offset, length, file, line, execution
        run_ids: dict[str, str] = {}  # execution -> the run id its history gets
        started_by: dict[str, tuple[str, str]] = {}  # child execution -> (parent execution, entry)
        at = 0
        for doc in documents:
            events = _events(doc.value)
            if not events or event_type(events[0]) != "WorkflowExecutionStarted":
                problems.append(Problem(doc.file, doc.line, None, "error",
                                        "expected a Temporal workflow history ({\"events\": [...]} starting "
                                        "with WorkflowExecutionStarted); skipped"))
                continue
            execution = _survey(events, doc.file, run_ids, started_by)
            data = pickle.dumps(events, pickle.HIGHEST_PROTOCOL)
            spill.write(data)
            places.append((at, len(data), doc.file, doc.line, execution))
            at += len(data)
        spill.flush()
        if nesting is None:
            nesting = _nestings(started_by, run_ids)
        fd = spill.fileno()
        # Runs first, then the histories nested into them, parents before children.
        order = sorted(range(len(places)), key=lambda n: (
            nesting[places[n][4]].prefix.count("/") if places[n][4] in nesting else 0, n))
        for n in order:
            offset, length, file, line, execution = places[n]
            events = pickle.loads(os.pread(fd, length, offset))
            yield from history_records(events, file, line, problems, nesting.get(execution))


def nestings_of(documents: Iterable[Document]) -> dict[str, Nesting]:
    """Where each child history among `documents` goes (for inputs read file by file, whose
    children and parents may be in different files); a history at a time in memory."""
    run_ids: dict[str, str] = {}
    started_by: dict[str, tuple[str, str]] = {}
    for doc in documents:
        events = _events(doc.value)
        if events and event_type(events[0]) == "WorkflowExecutionStarted":
            _survey(events, doc.file, run_ids, started_by)
    return _nestings(started_by, run_ids)


def _survey(events: list, file: str, run_ids: dict[str, str],
            started_by: dict[str, tuple[str, str]]) -> str:
    """Note a history's execution and run id, and the children it started; its execution."""
    execution, run_id = _identity(_attributes(events[0]), file)
    run_ids.setdefault(execution, run_id)
    for child, entry in _children(events):
        started_by.setdefault(child, (execution, entry))
    return execution


def _identity(started: dict, file: str) -> tuple[str, str]:
    """(execution run id, run id) of a history from its WorkflowExecutionStarted attributes."""
    execution = str(started.get("originalExecutionRunId") or started.get("firstExecutionRunId")
                    or _stem(file))
    workflow_id = started.get("workflowId")  # (not in every export: the run id then stands alone)
    return execution, f"{workflow_id}/{execution}" if isinstance(workflow_id, str) else execution


def _child_entries(events: list) -> dict[str, str]:
    """The entry id of each child workflow a history starts, by its initiating event id:
    `child-<workflowId>`, or `child-<workflowId>@<eventId>` for a workflow id started again."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for event in events:
        if event_type(event) == "StartChildWorkflowExecutionInitiated":
            eid = _id(event.get("eventId"))
            entry = f"child-{_attributes(event).get('workflowId', eid)}"
            if entry in used:
                entry = f"{entry}@{eid}"
            used.add(entry)
            out[eid] = entry
    return out


def _children(events: list) -> Iterator[tuple[str, str]]:
    """(child execution run id, the entry id of the child workflow) of each child it started."""
    initiated = _child_entries(events)
    for event in events:
        if event_type(event) == "ChildWorkflowExecutionStarted":
            attrs = _attributes(event)
            child = attrs.get("workflowExecution")
            entry = initiated.get(_id(attrs.get("initiatedEventId")))
            if entry and isinstance(child, dict) and _id(child.get("runId")):
                yield _id(child["runId"]), entry


def _nestings(started_by: dict[str, tuple[str, str]], run_ids: dict[str, str]) -> dict[str, Nesting]:
    """Each child execution whose parent's history was read -> where it goes (chains of
    children followed up to the root). Histories on a loop of parents (which no engine
    makes, but a damaged export might) nest nothing: each stays a run of its own."""
    parent = {x: p for x, p in started_by.items() if x in run_ids and p[0] in run_ids}
    looped: set[str] = set()
    for start in parent:
        path: list[str] = []
        x = start
        while x in parent and x not in path:
            path.append(x)
            x = parent[x][0]
        if x in path:
            looped.update(path[path.index(x):])
    out: dict[str, Nesting] = {}

    def resolve(execution: str) -> Nesting | None:
        if execution in out:
            return out[execution]
        if execution not in parent or execution in looped:
            return None
        parent_exec, entry = parent[execution]
        above = resolve(parent_exec)
        prefix = above.prefix if above else ""
        found = out[execution] = Nesting(above.run_id if above else run_ids[parent_exec],
                                         prefix + entry, f"{prefix}{entry}/")
        return found

    for execution in parent:
        resolve(execution)
    return out


def history_records(events: list, file: str, line: int, problems: list[Problem],
                    nesting: Nesting | None = None) -> list[dict]:
    started = _attributes(events[0])
    workflow_type = _name(started.get("workflowType")) or "Temporal workflow"
    _, run_id = _identity(started, file)
    prefix = ""
    out: list[dict] = []
    if nesting is not None:  # (its parent's run holds it: no run of its own)
        run_id, prefix = nesting.run_id, nesting.prefix
    else:
        run: dict[str, Any] = {"v": 1, "type": "run", "run_id": run_id, "composer": workflow_type,
                               "mode": "live", "automations": [workflow_type]}
        if isinstance(events[0].get("eventTime"), str):
            run["started_at"] = events[0]["eventTime"]
        input_value = _payloads(started.get("input"))
        if input_value is not None:
            run["input"] = input_value
        out.append(run)
    steps: dict[str, dict] = {}  # entry id -> its step record
    by_event: dict[str, str] = {}  # scheduling/initiating event id -> entry id
    entry_of_parent: dict[str, str] = {}  # a child workflow's initiating event -> entry id
    child_entries = _child_entries(events)

    def step(entry_id: str, **fields: Any) -> dict:
        record = steps.get(entry_id)
        if record is None:
            record = steps[entry_id] = {"type": "step", "run_id": run_id, "entry_id": prefix + entry_id,
                                        "automation": workflow_type}
            if nesting is not None:
                record["parent"] = nesting.parent_entry
            out.append(record)
        record.update({k: v for k, v in fields.items() if v is not None})
        return record

    end: dict[str, Any] | None = None
    for event in events[1:]:
        kind = event_type(event)
        attrs = _attributes(event)
        at = event.get("eventTime") if isinstance(event.get("eventTime"), str) else None
        eid = _id(event.get("eventId"))
        if not kind or _INTERNAL.search(kind):
            continue
        if kind == "ActivityTaskScheduled":
            name = _name(attrs.get("activityType")) or "activity"
            entry = by_event[eid] = f"activity-{attrs.get('activityId', eid)}"
            step(entry, step_id=name, name=name, kind="activity", status="running", started_at=at,
                 input=_payloads(attrs.get("input")))
        elif kind == "ActivityTaskStarted":
            entry = by_event.get(_id(attrs.get("scheduledEventId")))
            if entry:
                attempt = attrs.get("attempt")
                record = step(entry)
                if isinstance(attempt, int) and attempt > 1:
                    record["summary"] = {"attempt": attempt}
                    if isinstance(attrs.get("lastFailure"), dict):
                        record["last_failure"] = _failure(attrs["lastFailure"])
        elif kind in ("ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskTimedOut",
                      "ActivityTaskCanceled"):
            entry = by_event.get(_id(attrs.get("scheduledEventId")))
            if not entry:
                problems.append(Problem(file, line, run_id, "warning",
                                        f"Temporal history: event {eid} ({kind}) names no scheduled activity; kept "
                                        "as an entry of its own"))
                entry = f"event-{eid}"
                step(entry, name=kind, kind="activity")
            if kind == "ActivityTaskCompleted":
                step(entry, status="success", ended_at=at, output=_payloads(attrs.get("result")))
            else:
                failure = attrs.get("failure") if isinstance(attrs.get("failure"), dict) else \
                    {"message": "The activity was canceled" if kind == "ActivityTaskCanceled" else "The activity timed out"}
                step(entry, status="error", ended_at=at, error=_failure(failure))
                if isinstance(attrs.get("retryState"), str):
                    steps[entry]["retry_state"] = _enum(attrs["retryState"], "RETRY_STATE_")
        elif kind == "TimerStarted":
            entry = by_event[eid] = f"timer-{attrs.get('timerId', eid)}"
            step(entry, step_id="timer", name=f"Timer {attrs.get('startToFireTimeout', '')}".strip(),
                 kind="timer", status="running", started_at=at)
        elif kind in ("TimerFired", "TimerCanceled"):
            entry = by_event.get(_id(attrs.get("startedEventId")))
            if entry:
                step(entry, status="success" if kind == "TimerFired" else "skipped", ended_at=at)
        elif kind == "StartChildWorkflowExecutionInitiated":
            name = _name(attrs.get("workflowType")) or "child workflow"
            entry = entry_of_parent[eid] = child_entries[eid]
            step(entry, step_id=name, name=name, kind="child workflow", status="running", started_at=at,
                 input=_payloads(attrs.get("input")))
        elif kind.startswith("ChildWorkflowExecution") or kind == "StartChildWorkflowExecutionFailed":
            entry = entry_of_parent.get(_id(attrs.get("initiatedEventId")))
            if not entry:
                continue
            if kind == "ChildWorkflowExecutionStarted":
                child = attrs.get("workflowExecution") if isinstance(attrs.get("workflowExecution"), dict) else {}
                if child.get("runId"):
                    step(entry, child_run=f"{child.get('workflowId')}/{child.get('runId')}")
            elif kind == "ChildWorkflowExecutionCompleted":
                step(entry, status="success", ended_at=at, output=_payloads(attrs.get("result")))
            else:
                failure = attrs.get("failure") if isinstance(attrs.get("failure"), dict) else \
                    {"message": f"The child workflow ended: {kind}"}
                step(entry, status="error", ended_at=at, error=_failure(failure))
        elif kind == "WorkflowExecutionSignaled":
            name = attrs.get("signalName") if isinstance(attrs.get("signalName"), str) else "signal"
            step(f"signal-{eid}", step_id=f"signal:{name}", name=f"Signal {name}", kind="signal",
                 status="success", started_at=at, ended_at=at, input=_payloads(attrs.get("input")),
                 identity=attrs.get("identity") if isinstance(attrs.get("identity"), str) else None)
        elif kind in _CLOSED:
            end = {"type": "run_end", "run_id": run_id}
            if at:
                end["ended_at"] = at
            if kind == "WorkflowExecutionCompleted":
                result = _payloads(attrs.get("result"))
                if result is not None:
                    end["output"] = result
            elif kind == "WorkflowExecutionFailed" and isinstance(attrs.get("failure"), dict):
                end["error"] = _failure(attrs["failure"])
            elif kind == "WorkflowExecutionTimedOut":
                end["error"] = {"message": "The workflow execution timed out"}
            elif kind == "WorkflowExecutionTerminated":
                reason = attrs.get("reason")
                end["error"] = {"message": f"Terminated: {reason}" if reason else "The workflow was terminated"}
            elif kind == "WorkflowExecutionCanceled":
                end["error"] = {"message": "The workflow was canceled"}
            elif kind == "WorkflowExecutionContinuedAsNew":
                end["continued_as_new"] = attrs.get("newExecutionRunId")
        else:
            # Kept, never dropped silently: an event of a type not mapped is an entry of its own.
            step(f"event-{eid}", step_id=kind, name=kind, kind="event", status="success", started_at=at,
                 ended_at=at, attributes=attrs)
    if end is not None and nesting is None:  # (a nested child's end is its entry's, in the parent)
        out.append(end)
    return out


def _failure(failure: dict) -> dict:
    """A Temporal failure: its message first, its type, stack trace and cause chain."""
    out: dict[str, Any] = {"message": failure.get("message", "")}
    info = failure.get("applicationFailureInfo")
    if isinstance(info, dict) and info.get("type"):
        out["type"] = info["type"]
    for key in ("timeoutFailureInfo", "canceledFailureInfo", "terminatedFailureInfo", "serverFailureInfo",
                "activityFailureInfo", "childWorkflowExecutionFailureInfo"):
        if key in failure:
            out["kind"] = key[:-len("FailureInfo")]
            out[key] = failure[key]
    if failure.get("stackTrace"):
        out["stack"] = failure["stackTrace"]
    if failure.get("source"):
        out["source"] = failure["source"]
    if isinstance(failure.get("cause"), dict):
        out["cause"] = _failure(failure["cause"])
    return out


def _payloads(value: Any) -> Any:
    """The value of a `Payloads` ({"payloads": [...]}): one payload's value, several as a list."""
    payloads = value.get("payloads") if isinstance(value, dict) else None
    if not isinstance(payloads, list) or not payloads:
        return None
    decoded = [_payload(p) for p in payloads]
    return decoded[0] if len(decoded) == 1 else decoded


def _payload(payload: Any) -> Any:
    """One payload: JSON for `json/plain` (base64 in the CLI's export, decoded by the Web
    UI's), else kept as it is with its encoding named."""
    if not isinstance(payload, dict):
        return payload
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), dict) else {}
    encoding = _text(metadata.get("encoding"))
    data = payload.get("data")
    if encoding == "json/plain":
        if not isinstance(data, str):
            return data  # (already decoded)
        raw = _base64(data)
        if raw is not None:
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return data
    return {"encoding": encoding or "unknown", "data": data}


def _text(value: Any) -> str | None:
    """A metadata value: base64 text in the CLI's export, plain text in the Web UI's."""
    if not isinstance(value, str):
        return None
    if "/" in value and value.isascii() and not value.endswith("="):
        return value  # ("json/plain" itself)
    raw = _base64(value)
    try:
        return raw.decode("utf-8") if raw is not None else value
    except UnicodeDecodeError:
        return value


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _enum(value: str, prefix: str) -> str:
    return value[len(prefix):].lower() if value.startswith(prefix) else value


def _id(value: Any) -> str:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _name(value: Any) -> str | None:
    return value.get("name") if isinstance(value, dict) and isinstance(value.get("name"), str) else None


def _stem(file: str) -> str:
    name = file.replace("\\", "/").rsplit("/", 1)[-1]
    return name.split(".", 1)[0] or name
