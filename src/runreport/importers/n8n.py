"""n8n executions as runs: an execution is a run, each run of a node an entry.

Input: what n8n's public REST API returns for an execution with its data
(`GET /api/v1/executions/{id}?includeData=true`), the list endpoint's page
(`{"data": [execution, …]}`), or such executions saved one per line (JSON
Lines) or as a JSON array. An execution holds `workflowData` (the workflow:
its name and nodes), `mode`, `status`, `startedAt`/`stoppedAt` and
`data.resultData.runData`: per node name, the list of that node's runs
(`startTime`, `executionTime`, `executionStatus`, `source`, `data.main`,
`error`). docs/importers.md has the mapping as a table.

Pure: parsed documents in, run-log records and problems out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from runreport.importers.otlp import Document
from runreport.problems import Problem

#: Execution statuses that end a run, and the run error of those that are no success.
_ENDED = {"success": None, "error": None, "canceled": "The execution was canceled",
          "crashed": "The execution crashed"}
#: Node run statuses (`executionStatus`) as entry statuses.
_RUN_STATUS = {"success": "success", "error": "error", "running": "running", "waiting": "running",
               "canceled": "error", "crashed": "error", "new": "running", "unknown": "unknown"}
#: Entry kinds of common node types (the rest keep their own short type name).
_KINDS = {"httpRequest": "http", "code": "code", "function": "code", "functionItem": "code",
          "if": "condition", "switch": "condition", "splitInBatches": "loop", "wait": "review",
          "postgres": "database", "mySql": "database", "mongoDb": "database", "redis": "database",
          "emailSend": "notification", "slack": "notification", "telegram": "notification",
          "openAi": "prompt", "lmChatOpenAi": "prompt", "agent": "prompt"}
#: What an entry shows by itself: fields of a node run not shown in "Other fields".
_KNOWN_RUN_FIELDS = {"startTime", "executionTime", "executionStatus", "source", "data", "error",
                     "executionIndex"}


def is_execution(value: Any) -> bool:
    """Whether `value` is an n8n execution with its data."""
    return (isinstance(value, dict) and isinstance(value.get("workflowData"), dict)
            and isinstance(_result_data(value).get("runData"), dict))


def is_export(value: Any) -> bool:
    """Whether a parsed document is n8n's: an execution, a list of them, or the list endpoint's page."""
    if isinstance(value, list):
        return bool(value) and is_execution(value[0])
    if isinstance(value, dict) and isinstance(value.get("data"), list) and "workflowData" not in value:
        return bool(value["data"]) and is_execution(value["data"][0])
    return is_execution(value)


def records(documents: Iterable[Document]) -> tuple[list[dict], list[Problem]]:
    """Run-log records of every execution in `documents`, in the order read."""
    problems: list[Problem] = []
    return list(iter_records(documents, problems)), problems


def iter_records(documents: Iterable[Document], problems: list[Problem]) -> Iterator[dict]:
    """The same, one execution at a time: an export of any length costs the memory of
    one execution."""
    for doc in documents:
        value = doc.value
        if isinstance(value, dict) and isinstance(value.get("data"), list) and "workflowData" not in value:
            executions = value["data"]  # the list endpoint's page
        elif isinstance(value, list):
            executions = value
        else:
            executions = [value]
        for k, execution in enumerate(executions):
            where = f"{doc.file}:{doc.line}" + (f" (execution {k + 1})" if len(executions) > 1 else "")
            if not is_execution(execution):
                problems.append(Problem(doc.file, doc.line, None, "error",
                                        f"expected an n8n execution with its data (workflowData and "
                                        f"data.resultData.runData), found {_kind(execution)}; skipped"))
                continue
            yield from execution_records(execution, problems, doc.file, doc.line, where)


def execution_records(execution: dict, problems: list[Problem], file: str, line: int,
                      where: str) -> list[dict]:
    """The run log of one execution: its run record, an entry per node run, its run end."""
    workflow = execution["workflowData"]
    name = workflow.get("name") if isinstance(workflow.get("name"), str) else "n8n workflow"
    run_id = f"n8n-{execution.get('id', '')}" if execution.get("id") is not None else f"n8n-{where}"
    status = execution.get("status") if isinstance(execution.get("status"), str) else None
    if status is None:  # (older n8n: `finished` and the result's error say it)
        status = ("error" if _result_data(execution).get("error") else
                  "success" if execution.get("finished") else "running")
    nodes = {n.get("name"): n for n in workflow.get("nodes") or () if isinstance(n, dict)}
    run: dict[str, Any] = {"v": 1, "type": "run", "run_id": run_id, "composer": name,
                           "mode": "test" if execution.get("mode") == "manual" else "live",
                           "automations": [name]}
    if workflow.get("id") is not None or execution.get("workflowId") is not None:
        run["composer_id"] = str(execution.get("workflowId", workflow.get("id")))
    started = _instant(execution.get("startedAt"))
    if started:
        run["started_at"] = started
    out = [run]
    run_data = _result_data(execution)["runData"]
    node_runs = []
    for node_name, runs in run_data.items():
        if not isinstance(runs, list):
            problems.append(Problem(file, line, run_id, "warning",
                                    f"n8n execution: expected the runs of node {node_name!r} to be a list, "
                                    f"found {_kind(runs)}; node skipped"))
            continue
        for index, node_run in enumerate(runs):
            if isinstance(node_run, dict):
                node_runs.append((node_name, index, len(runs), node_run))
    # Execution order: n8n's own index when it logs one, else the start time, else as listed.
    order = {id(r): i for i, r in enumerate(node_runs)}
    node_runs.sort(key=lambda r: (_number(r[3].get("executionIndex"), order[id(r)]),
                                  _number(r[3].get("startTime"), 0), order[id(r)]))
    waiting_on = _result_data(execution).get("lastNodeExecuted") if status == "waiting" else None
    for node_name, index, count, node_run in node_runs:
        out.append(_step(run_id, name, node_name, index, count, node_run, nodes.get(node_name) or {},
                         run_data, waiting=(node_name == waiting_on and index == count - 1)))
    if status in _ENDED:
        end: dict[str, Any] = {"type": "run_end", "run_id": run_id}
        stopped = _instant(execution.get("stoppedAt"))
        if stopped:
            end["ended_at"] = stopped
        error = _result_data(execution).get("error")
        failed_node = any(e.get("status") == "error" for e in out if e["type"] == "step")
        if isinstance(error, dict) and not failed_node:
            end["error"] = _error(error)
        elif _ENDED[status] and not failed_node:
            end["error"] = {"message": _ENDED[status]}
        out.append(end)
    return out


def _step(run_id: str, automation: str, node_name: str, index: int, count: int, node_run: dict,
          node: dict, run_data: dict, *, waiting: bool) -> dict:
    node_type = node.get("type") if isinstance(node.get("type"), str) else ""
    short = node_type.rsplit(".", 1)[-1]
    status = _RUN_STATUS.get(node_run.get("executionStatus"))
    if status is None:
        status = "error" if node_run.get("error") else "success"
    step: dict[str, Any] = {
        "type": "step", "run_id": run_id, "entry_id": f"{node_name}#{index}" if count > 1 else node_name,
        "step_id": str(node.get("id", node_name)), "name": node_name, "kind": _KINDS.get(short, short or "node"),
        "automation": automation, "status": status,
    }
    start = node_run.get("startTime")
    if isinstance(start, (int, float)) and not isinstance(start, bool) and _from_ms(start):
        step["started_at"] = _from_ms(start)
        took = node_run.get("executionTime")
        if status != "running" and isinstance(took, (int, float)) and not isinstance(took, bool) \
                and _from_ms(start + took):
            step["ended_at"] = _from_ms(start + took)
    if count > 1:
        step["iteration"] = {"index": index}
    items = _input_items(node_run, run_data)
    if items is not None and short != "httpRequest":
        step["input"] = items
    output = _output(node_run.get("data"))
    if output is not None:
        step["output"] = output
    error = node_run.get("error")
    if isinstance(error, dict):
        step["error"] = _error(error)
    if short == "httpRequest":
        params = node.get("parameters") if isinstance(node.get("parameters"), dict) else {}
        request = {"method": str(params.get("method") or params.get("requestMethod") or "GET")}
        url = params.get("url")
        if isinstance(url, str):
            request["url"] = url
        if items is not None:
            # (An HTTP step's Step Input is its request: the items it was given go with it.)
            request["items"] = items
        http: dict[str, Any] = {"request": request}
        code = error.get("httpCode") if isinstance(error, dict) else None
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        if isinstance(code, int) and not isinstance(code, bool):
            http["response"] = {"status": code}
        step["http"] = http
    if waiting and (short == "wait" or status == "running"):
        step["status"] = "running"
        if short == "wait":
            step["review"] = {"mode": "wait"}
    other = {k: v for k, v in node_run.items() if k not in _KNOWN_RUN_FIELDS}
    if other:
        step["n8n"] = other
    return step


def _input_items(node_run: dict, run_data: dict) -> Any:
    """The items the node run received: the output of the node run it came from."""
    source = node_run.get("source")
    if not isinstance(source, list) or not source or not isinstance(source[0], dict):
        return None
    previous = source[0].get("previousNode")
    runs = run_data.get(previous)
    if not isinstance(runs, list):
        return None
    at = source[0].get("previousNodeRun") or 0
    output = source[0].get("previousNodeOutput") or 0
    if not isinstance(at, int) or not 0 <= at < len(runs) or not isinstance(runs[at], dict):
        return None
    main = (runs[at].get("data") or {}).get("main") if isinstance(runs[at].get("data"), dict) else None
    if not isinstance(main, list) or not isinstance(output, int) or not 0 <= output < len(main):
        return None
    return _items(main[output])


def _output(data: Any) -> Any:
    """`data.main` as items: one output's list, or each output by its number when several."""
    main = data.get("main") if isinstance(data, dict) else None
    if not isinstance(main, list):
        return None
    if len(main) == 1:
        return _items(main[0])
    return {f"output {k + 1}": _items(items) for k, items in enumerate(main)}


def _items(items: Any) -> Any:
    """An output's items as their JSON (n8n wraps each in {"json": …, "pairedItem": …})."""
    if not isinstance(items, list):
        return items
    return [item["json"] if isinstance(item, dict) and "json" in item else item for item in items]


def _error(error: dict) -> dict:
    """An n8n error with its message first, then what else it says."""
    out: dict[str, Any] = {}
    if "message" in error:
        out["message"] = error["message"]
    for key in ("description", "httpCode", "name", "node", "stack"):
        if key in error:
            value = error[key]
            out[key] = value.get("name", value) if key == "node" and isinstance(value, dict) else value
    out.update({k: v for k, v in error.items() if k not in out and k != "node"})
    return out


def _result_data(execution: Any) -> dict:
    data = execution.get("data") if isinstance(execution, dict) else None
    result = data.get("resultData") if isinstance(data, dict) else None
    return result if isinstance(result, dict) else {}


def _instant(value: Any) -> str | None:
    """An ISO timestamp as n8n writes it, checked (None when it is none)."""
    if not isinstance(value, str):
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value


def _from_ms(ms: float) -> str | None:
    try:
        moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _number(value: Any, default: float) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object without them"
    if isinstance(value, list):
        return "an array"
    return "a string" if isinstance(value, str) else "a number" if isinstance(value, (int, float)) else "null"
