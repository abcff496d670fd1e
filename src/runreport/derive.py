"""Derive what the site shows from merged run state (pure: no I/O).

Every rule of the format's "Derived values" is one small function here, so
each can be tested with tiny literal inputs. :func:`derive_run` strings them
together into a :class:`runreport.model.Run`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from runreport.jsontext import plain
from runreport.merge import EntryState, RunState
from runreport.model import UNKNOWN_COMPOSER, Entry, Group, Lineage, Run, Section
from runreport.problems import Problem
from runreport.read import MAX_DEPTH, nested_too_deep
from runreport.records import RUN_END_FIELDS, RUN_FIELDS

# --- small rules -------------------------------------------------------------


def badges(iteration: Any, page: Any) -> tuple[str, ...]:
    """`iteration N` (N = index + 1) and `page N` badges of an entry."""
    out = []
    index = iteration_index(iteration)
    if index is not None:
        out.append(f"iteration {index + 1}")
    if isinstance(page, int) and not isinstance(page, bool):
        out.append(f"page {page}")
    return tuple(out)


def iteration_index(iteration: Any) -> int | None:
    if isinstance(iteration, dict):
        index = iteration.get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            return index
    return None


def display_order(siblings: Sequence[tuple[str, Any, Any]]) -> list[str]:
    """Order siblings given as (id, iteration, page) in first-seen order.

    Siblings keep first-seen order, grouped by iteration index then page:
    the siblings that carry an iteration or a page are sorted by
    (index, page, first seen) among the places they occupy, and siblings
    with neither keep their own place.
    """
    keyed_places = []
    keyed = []
    for place, (entry_id, iteration, page) in enumerate(siblings):
        index = iteration_index(iteration)
        page_no = page if isinstance(page, int) and not isinstance(page, bool) else None
        if index is not None or page_no is not None:
            keyed_places.append(place)
            keyed.append(((-1 if index is None else index, -1 if page_no is None else page_no, place), entry_id))
    order = [entry_id for entry_id, _, _ in siblings]
    for place, (_, entry_id) in zip(keyed_places, sorted(keyed)):
        order[place] = entry_id
    return order


def display_status(own: str, child_display: Iterable[str]) -> str:
    """What an entry's icon shows: running, then error, roll up; rejected never does."""
    child_display = list(child_display)
    if own == "running" or "running" in child_display:
        return "running"
    if own == "error" or "error" in child_display:
        return "error"
    return own


def group_status(own_statuses: Iterable[str]) -> str:
    """Status of an automation group's timeline node; first match wins."""
    statuses = list(own_statuses)
    if "running" in statuses:
        return "running"
    if "error" in statuses:
        return "error"
    if "rejected" in statuses:
        return "rejected"
    if statuses and all(s == "skipped" for s in statuses):
        return "skipped"
    return "success"


def awaits_review(kind: Any, status: str, review: Any) -> bool:
    """Is this entry a Review in wait mode paused for a decision?"""
    if kind != "review" or status != "running":
        return False
    if review is None:
        return True
    if not isinstance(review, dict):
        return False
    return review.get("mode") in (None, "wait") and review.get("decision") is None


def run_status(ended: bool, run_error: Any, entries: Iterable[tuple[Any, str, Any]]) -> str:
    """Run status from (kind, own status, review) of its entries; first match wins."""
    entries = list(entries)
    if not ended:
        if any(awaits_review(kind, status, review) for kind, status, review in entries):
            return "awaiting_review"
        if not entries or any(status == "running" for _, status, _ in entries):
            return "running"
    if run_error is not None or any(status == "error" for _, status, _ in entries):
        return "failed"
    return "completed"


def read_body(body: Any) -> tuple[Any, bool]:
    """(the response body as shown, whether it holds JSON nested too deep to show parsed).

    A body is shown parsed when it is JSON: a string that parses as JSON.
    (A `content-type` naming JSON adds nothing: a body it describes either
    parses, and is shown parsed anyway, or does not, and stays text.) JSON
    nested deeper than a record may be is shown as text, as logged.
    """
    if not isinstance(body, str):
        return body, False
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body, False
    if nested_too_deep(body, parsed):
        return body, True
    return parsed, False


def parse_body(body: Any) -> Any:
    """The response body as shown (see read_body)."""
    return read_body(body)[0]


# (JSON values are dicts: `isinstance(v, dict)` is a type check, `Mapping` an ABC's, ten times
# slower, asked of every entry's fields.)
def _response(http: Any) -> dict | None:
    if isinstance(http, dict) and isinstance(http.get("response"), dict):
        return http["response"]
    return None


def http_status(http: Any) -> int | None:
    if isinstance(http, dict) and isinstance(http.get("response"), dict):
        status = http["response"].get("status")
        if isinstance(status, int) and not isinstance(status, bool):
            return status
    return None


_UNREAD = object()


def sections(fields: Mapping[str, Any], body: Any = _UNREAD) -> tuple[Section, ...]:
    """Step Input / Step Output / Error / Iteration Data, with HTTP responses routed.

    Step Input is `http.request` (or `input`). A response with status >= 400
    goes to Error (status, headers, parsed body), not to Step Output; a
    successful response's parsed body is the Step Output unless the entry
    logs an `output` of its own. `body`: the response body as shown, when the
    caller has read it already (read_body).
    """
    http = fields.get("http") if isinstance(fields.get("http"), dict) else {}
    request = http.get("request")
    response = http.get("response") if isinstance(http.get("response"), dict) else None
    status = http_status(http)

    step_input = request if request is not None else fields.get("input")
    output = fields.get("output")
    error = fields.get("error")

    if response is not None:
        if body is _UNREAD:
            body = parse_body(response.get("body"))
        if status is not None and status >= 400:
            failed = {"status": status, "headers": response.get("headers"), "body": plain(body)}
            failed = {k: v for k, v in failed.items() if v is not None}
            if error is None:
                error = failed
            elif isinstance(error, dict):
                error = {**error, "response": failed}
            else:
                error = {"message": error, "response": failed}
        elif output is None:
            output = body

    out = []
    if step_input is not None:
        out.append(Section("input", step_input))
    if output is not None:
        out.append(Section("output", output))
    if error is not None:
        out.append(Section("error", error))
    iteration = fields.get("iteration")
    if isinstance(iteration, dict) and iteration.get("item") is not None:
        out.append(Section("iteration", iteration.get("item")))
    return tuple(out)


def summary_rows(fields: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Summary rows: HTTP method, URL, status code; review decision; every `summary` field."""
    rows: list[tuple[str, Any]] = []
    http = fields.get("http")
    if isinstance(http, dict):
        request = http.get("request")
        if isinstance(request, dict):
            if request.get("method") is not None:
                rows.append(("Method", request["method"]))
            if request.get("url") is not None:
                rows.append(("URL", request["url"]))
        status = http_status(http)
        if status is not None:
            rows.append(("Status code", status))
    review = fields.get("review")
    if isinstance(review, dict):
        for key, label in (("mode", "Review mode"), ("decision", "Decision"), ("reviewer", "Reviewer"),
                           ("comment", "Comment"), ("decided_at", "Decided at")):
            if review.get(key) is not None:
                rows.append((label, review[key]))
    summary = fields.get("summary")
    if isinstance(summary, dict):
        # Values stay as logged (objects too): redaction walks them, the page writes them as text.
        rows.extend((str(label), value) for label, value in summary.items())
    return tuple(rows)


#: Every field the format defines for a run, on either of its records (a `trigger` logged
#: on a `run_end` is still the trigger, not a field of its own), plus `v` and `type`.
RUN_LEVEL_FIELDS = frozenset(f.name for f in (*RUN_FIELDS, *RUN_END_FIELDS)) | {"v", "type"}


def run_other_fields(run_fields: Mapping[str, Any], end_fields: Mapping[str, Any]) -> dict:
    """The run's fields the format does not define, as logged; the `run_end` record's win."""
    return {k: v for k, v in {**run_fields, **end_fields}.items() if k not in RUN_LEVEL_FIELDS}


# --- the tree ----------------------------------------------------------------


def resolve_parents(
    parents: Mapping[str, Any],
) -> tuple[dict[str, str | None], dict[str, str]]:
    """Resolve each entry's parent; unknown parents and cycles go to the top level.

    `parents` maps entry id → the logged `parent` (or None), in first-seen
    order. Returns (entry id → resolved parent or None, entry id → problem
    text for entries moved to the top level).
    """
    resolved: dict[str, str | None] = {}
    moved: dict[str, str] = {}
    for entry_id, parent in parents.items():
        if parent is None:
            resolved[entry_id] = None
        elif parent not in parents:
            resolved[entry_id] = None
            moved[entry_id] = f'parent "{parent}" names no entry of this run; placed at the top level of its group'
        else:
            resolved[entry_id] = parent
    # Break cycles: every entry on a cycle goes to the top level.
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in parents:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = resolved[node]
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node):]
            shown = " → ".join([*cycle, cycle[0]])
            for member in cycle:
                resolved[member] = None
                moved[member] = f"parent cycle ({shown}); placed at the top level of its group"
        for n in path:
            state[n] = 2
    return resolved, moved


def lineage(entry_id: str, parent_of: Mapping[str, str | None]) -> tuple[str, ...]:
    """Ids from the root ancestor down to the entry itself."""
    chain = [entry_id]
    node = parent_of.get(entry_id)
    while node is not None:
        chain.append(node)
        node = parent_of.get(node)
    return tuple(reversed(chain))


# --- the whole run -------------------------------------------------------------


def _own_status(entry: EntryState, problems: list[Problem], run_id: str) -> str:
    status = entry.fields.values.get("status")
    if isinstance(status, str):
        return status
    problems.append(
        Problem(entry.file, entry.line, run_id, "error",
                f'step record: missing required field "status" for entry "{entry.entry_id}"; shown as unknown',
                entry.entry_id)
    )
    return "unknown"


def derive_run(state: RunState, *, detail: bool = True) -> tuple[Run, list[Problem]]:
    """Turn one run's merged state into the model the site and summary show.

    With `detail=False` entries carry no summary rows, sections (but failing ones') or raw fields
    (empty): enough for the index row and the problems, at about half the
    cost, which is what the loader needs for every run it settles.
    """
    problems: list[Problem] = []
    run_fields = state.run.values if state.run else {}
    end_fields = state.end.values if state.end else {}
    known = state.run is not None and isinstance(run_fields.get("composer"), str)
    if not known:
        problems.append(
            Problem(state.file, state.line, state.run_id, "warning",
                    f'no "run" record for run "{state.run_id}"; shown with composer "{UNKNOWN_COMPOSER}"')
        )
    composer = run_fields.get("composer") if known else UNKNOWN_COMPOSER

    entries = state.entries
    fields_of = {eid: e.fields.values for eid, e in entries.items()}
    parent_of, moved = resolve_parents({eid: f.get("parent") for eid, f in fields_of.items()})
    for eid, text in moved.items():
        e = entries[eid]
        problems.append(Problem(e.file, e.line, state.run_id, "warning", f'entry "{eid}": {text}', eid))

    own = {eid: _own_status(e, problems, state.run_id) for eid, e in entries.items()}

    children: dict[str | None, list[str]] = {}
    for eid in entries:  # first-seen order
        children.setdefault(parent_of[eid], []).append(eid)
    for parent, kids in children.items():
        children[parent] = display_order([(k, fields_of[k].get("iteration"), fields_of[k].get("page")) for k in kids])

    # Display status bottom-up (iteratively: nesting depth is unbounded input).
    shown: dict[str, str] = {}
    for eid in _post_order(children):
        shown[eid] = display_status(own[eid], (shown[c] for c in children.get(eid, ())))

    # Effective automation: own, else the parent's, else the composer's name.
    automation: dict[str, str] = {}
    for eid in _pre_order(children):
        logged = fields_of[eid].get("automation")
        parent = parent_of[eid]
        if isinstance(logged, str):
            automation[eid] = logged
        elif parent is not None:
            automation[eid] = automation[parent]
        else:
            automation[eid] = composer

    ended = state.end is not None
    model_entries: list[Entry] = []
    ids_of: dict[str, Lineage] = {}  # (pre-order: a parent's lineage is made before its children's)
    names_of: dict[str, Lineage] = {}
    for eid in _pre_order(children):
        f = fields_of[eid]
        parent = parent_of[eid]
        chain = ids_of[eid] = Lineage(eid, ids_of[parent] if parent is not None else None)
        names_of[eid] = Lineage(f.get("name") or eid, names_of[parent] if parent is not None else None)
        # The body is read once, here; without detail only one that could be too deep is.
        response = _response(f.get("http"))
        raw_body = response.get("body") if response is not None else None
        body, too_deep = _UNREAD, False
        if detail or isinstance(raw_body, str) and raw_body.count("[") + raw_body.count("{") > MAX_DEPTH:
            body, too_deep = read_body(raw_body)
        if too_deep:
            e = entries[eid]
            problems.append(
                Problem(e.file, e.line, state.run_id, "warning",
                        f'entry "{eid}": "http.response.body" holds JSON nested more than {MAX_DEPTH} '
                        "levels deep; shown as text", eid))
        flagged = ended and own[eid] == "running"
        if flagged:
            end_file, end_line = state.end_place or (state.file, state.line)
            e = entries[eid]
            problems.append(
                Problem(e.file, e.line, state.run_id, "warning",
                        f'entry "{eid}" is still "running" after the run ended ({end_file}:{end_line})', eid)
            )
        model_entries.append(
            Entry(
                entry_id=eid,
                name=f["name"] if isinstance(f.get("name"), str) else eid,
                kind=f.get("kind") if isinstance(f.get("kind"), str) else None,
                automation=automation[eid],
                step_id=f.get("step_id") if isinstance(f.get("step_id"), str) else None,
                parent_id=parent_of[eid],
                status=own[eid],
                display_status=shown[eid],
                depth=len(chain) - 1,
                lineage=names_of[eid],
                lineage_ids=chain,
                badges=badges(f.get("iteration"), f.get("page")),
                iteration_index=iteration_index(f.get("iteration")),
                page=f.get("page") if isinstance(f.get("page"), int) else None,
                started_at=f.get("started_at"),
                ended_at=f.get("ended_at"),
                summary=summary_rows(f) if detail else (),
                # (A failing entry's sections are made even without detail: its index row
                # says the error's message, see runreport.failure.)
                sections=sections(f, body) if detail or own[eid] == "error" else (),
                review=f.get("review") if isinstance(f.get("review"), dict) else None,
                http_status=http_status(f.get("http")),
                children=tuple(children.get(eid, ())),
                flagged=flagged,
                raw=dict(f) if detail else {},
            )
        )

    groups = _groups(run_fields.get("automations"), model_entries)
    by_id = {e.entry_id: e for e in model_entries}
    model_entries = [by_id[eid] for g in groups for eid in g.entry_ids]  # the page's order
    status = run_status(ended, end_fields.get("error"),
                        ((f.get("kind"), own[eid], f.get("review")) for eid, f in fields_of.items()))
    mode = run_fields.get("mode") if known else "unknown"
    run = Run(
        run_id=state.run_id,
        composer=composer,
        composer_id=run_fields.get("composer_id") if isinstance(run_fields.get("composer_id"), str) else None,
        mode=mode if isinstance(mode, str) else "unknown",
        started_at=run_fields.get("started_at"),
        ended_at=end_fields.get("ended_at"),
        status=status,
        error=end_fields.get("error"),
        trigger=run_fields.get("trigger"),
        meta=run_fields.get("meta"),
        groups=groups,
        entries=tuple(model_entries),
        known=known,
        other_fields=run_other_fields(run_fields, end_fields),
    )
    return run, problems


def _groups(declared: Any, entries: list[Entry]) -> tuple[Group, ...]:
    """Timeline groups: declared order first, then first-seen; a tree stays in its root's group."""
    order: list[str] = [a for a in declared if isinstance(a, str)] if isinstance(declared, list) else []
    members: dict[str, list[Entry]] = {}
    root_group = ""
    for entry in entries:  # depth-first display order
        if entry.depth == 0:
            root_group = entry.automation
        members.setdefault(root_group, []).append(entry)
        if root_group not in order:
            order.append(root_group)
    return tuple(
        Group(name, group_status(e.status for e in members[name]), tuple(e.entry_id for e in members[name]))
        for name in dict.fromkeys(order)
        if name in members
    )


def _pre_order(children: Mapping[str | None, list[str]]) -> list[str]:
    out: list[str] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(children.get(node, [])))
    return out


def _post_order(children: Mapping[str | None, list[str]]) -> list[str]:
    return list(reversed(_pre_order_children_last(children)))


def _pre_order_children_last(children: Mapping[str | None, list[str]]) -> list[str]:
    # Root-first traversal where every node precedes its descendants; reversed,
    # every node follows all of its descendants (a valid post-order for roll-ups).
    out: list[str] = []
    stack = list(children.get(None, []))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(children.get(node, []))
    return out
