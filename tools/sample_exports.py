"""The other engines' exports shipped in sample_runs/imports/, written by generate_samples.py.

One small export of each kind runreport imports, so that building the
samples shows what an imported run looks like:

    imports/n8n-execution.json      an n8n execution as `GET /api/v1/executions/{id}
                                    ?includeData=true` returns it: webhook, HTTP request,
                                    a node that ran three times (iterations), Slack
    imports/temporal-history.json   a Temporal history as `temporal workflow show
                                    --output json` writes it: activities with payloads,
                                    one retried after a timeout, a timer, a signal and a
                                    child workflow
    imports/otlp-trace.json         one OTLP/JSON ExportTraceServiceRequest: an HTTP
                                    server span with database, cache, HTTP client and
                                    messaging children; the cache read timed out, was
                                    recorded as an `exception` event and fell back

Every run completes: the samples' failed, running and awaiting-review runs
are the run logs'. Nothing here is random; the documents are written as
the engines write them (n8n and OTLP compact, Temporal indented).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
#: When the three exported runs start: mid-way through the sample days, so the Runs page still
#: opens on the run logs' newest runs (running, awaiting review).
START = datetime(2026, 11, 18, 14, 0, 0, tzinfo=UTC)


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


# --- n8n --------------------------------------------------------------------------------


def n8n_execution() -> dict:
    start = START
    orders = [{"id": 5101 + i, "customer": name, "total": total, "currency": "EUR"}
              for i, (name, total) in enumerate([("Harbor Foods", 412.5), ("Nordlicht GmbH", 98.0),
                                                 ("Cedar Partners", 1260.75)])]
    nodes = [
        {"id": "a1", "name": "Webhook", "type": "n8n-nodes-base.webhook", "typeVersion": 2,
         "position": [0, 0], "parameters": {"path": "orders-closed", "httpMethod": "POST"}},
        {"id": "a2", "name": "Get closed orders", "type": "n8n-nodes-base.httpRequest",
         "typeVersion": 4, "position": [220, 0],
         "parameters": {"method": "GET", "url": "https://shop.example.com/api/orders?state=closed"}},
        {"id": "a3", "name": "Loop over orders", "type": "n8n-nodes-base.splitInBatches",
         "typeVersion": 3, "position": [440, 0], "parameters": {"batchSize": 1}},
        {"id": "a4", "name": "Create invoice", "type": "n8n-nodes-base.httpRequest",
         "typeVersion": 4, "position": [660, 0],
         "parameters": {"method": "POST", "url": "https://billing.example.com/v2/invoices"}},
        {"id": "a5", "name": "Post to Slack", "type": "n8n-nodes-base.slack", "typeVersion": 2,
         "position": [880, 0], "parameters": {"channel": "#billing", "text": "={{ $json.summary }}"}},
    ]
    clock = [start]

    def run(node: str, ms: int, items: list[dict], source: str | None, index: int,
            source_run: int = 0) -> dict:
        began = clock[0]
        clock[0] = began + timedelta(milliseconds=ms + 4)
        return {"startTime": _ms(began), "executionTime": ms, "executionStatus": "success",
                "source": [None] if source is None else
                [{"previousNode": source, "previousNodeRun": source_run, "previousNodeOutput": 0}],
                "hints": [], "executionIndex": index,
                "data": {"main": [[{"json": item, "pairedItem": {"item": 0}} for item in items]]}}

    run_data: dict[str, list[dict]] = {
        "Webhook": [run("Webhook", 3, [{"body": {"event": "orders.closed", "since": f"{start:%Y-%m-%d}"}}],
                        None, 0)],
        "Get closed orders": [run("Get closed orders", 412, orders, "Webhook", 1)],
    }
    loops, invoices = [], []
    for k, order in enumerate(orders):
        loops.append(run("Loop over orders", 2, [order], "Get closed orders" if k == 0
                         else "Create invoice", 2 + 2 * k, 0 if k == 0 else k - 1))
        invoices.append(run("Create invoice", 180 + 35 * k,
                             [{"invoice": f"INV-2026-{884 + k}", "order": order["id"],
                               "amount": order["total"], "status": "issued"}],
                             "Loop over orders", 3 + 2 * k, k))
    run_data["Loop over orders"] = loops
    run_data["Create invoice"] = invoices
    run_data["Post to Slack"] = [run(
        "Post to Slack", 96,
        [{"ok": True, "channel": "C04BILLING", "ts": f"{_ms(clock[0]) // 1000}.000200",
          "message": {"text": "3 invoices issued for closed orders: INV-2026-884 … INV-2026-886"}}],
        "Create invoice", 8, 2)]
    stopped = clock[0]
    return {
        "id": 7312, "finished": True, "mode": "webhook", "retryOf": None, "retrySuccessId": None,
        "startedAt": _iso(start), "stoppedAt": _iso(stopped), "workflowId": "Qm7RdY2kOrders",
        "waitTill": None, "status": "success", "customData": {},
        "data": {"startData": {}, "resultData": {"runData": run_data,
                                                 "lastNodeExecuted": "Post to Slack"},
                 "executionData": {}},
        "workflowData": {"id": "Qm7RdY2kOrders", "name": "Invoice closed orders (n8n)",
                         "active": True, "nodes": nodes, "connections": _connections(
                             ("Webhook", "Get closed orders"), ("Get closed orders", "Loop over orders"),
                             ("Loop over orders", "Post to Slack", "Create invoice"),
                             ("Create invoice", "Loop over orders"))},
    }


def _connections(*links: tuple[str, ...]) -> dict:
    """n8n's `connections`: per node, one list of targets per output (a loop has two)."""
    return {source: {"main": [[{"node": target, "type": "main", "index": 0}] for target in targets]}
            for source, *targets in links}


# --- Temporal ---------------------------------------------------------------------------


def _payloads(*values) -> dict:
    return {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                          "data": base64.b64encode(json.dumps(v).encode()).decode()}
                         for v in values]}


def temporal_history() -> dict:
    events: list[dict] = []
    at = [START + timedelta(minutes=5)]

    def event(kind: str, seconds: float, attrs_name: str, attrs: dict) -> str:
        at[0] = at[0] + timedelta(seconds=seconds)
        event_id = str(len(events) + 1)
        events.append({"eventId": event_id, "eventTime": _iso(at[0]), "eventType": f"EVENT_TYPE_{kind}",
                       "taskId": str(2097152 + len(events)), attrs_name: attrs})
        return event_id

    def workflow_task(seconds: float = 0.02) -> str:
        scheduled = event("WORKFLOW_TASK_SCHEDULED", seconds, "workflowTaskScheduledEventAttributes",
                          {"taskQueue": {"name": "fulfilment", "kind": "TASK_QUEUE_KIND_NORMAL"},
                           "startToCloseTimeout": "10s", "attempt": 1})
        started = event("WORKFLOW_TASK_STARTED", 0.01, "workflowTaskStartedEventAttributes",
                        {"scheduledEventId": scheduled, "identity": "worker-2@fulfil-7d9c"})
        return event("WORKFLOW_TASK_COMPLETED", 0.03, "workflowTaskCompletedEventAttributes",
                     {"scheduledEventId": scheduled, "startedEventId": started,
                      "identity": "worker-2@fulfil-7d9c"})

    def activity(name: str, task: str, arg, result, seconds: float, *, attempt: int = 1,
                 last_failure: dict | None = None) -> None:
        scheduled = event("ACTIVITY_TASK_SCHEDULED", 0.01, "activityTaskScheduledEventAttributes",
                          {"activityId": str(len(events) + 1), "activityType": {"name": name},
                           "taskQueue": {"name": "fulfilment", "kind": "TASK_QUEUE_KIND_NORMAL"},
                           "input": _payloads(arg), "scheduleToCloseTimeout": "0s",
                           "startToCloseTimeout": "30s", "workflowTaskCompletedEventId": task,
                           "retryPolicy": {"initialInterval": "1s", "backoffCoefficient": 2,
                                           "maximumInterval": "100s"}})
        started_attrs = {"scheduledEventId": scheduled, "identity": "worker-1@fulfil-7d9c",
                         "attempt": attempt}
        if last_failure:
            started_attrs["lastFailure"] = last_failure
        started = event("ACTIVITY_TASK_STARTED", 0.02 if attempt == 1 else 32.0,
                        "activityTaskStartedEventAttributes", started_attrs)
        event("ACTIVITY_TASK_COMPLETED", seconds, "activityTaskCompletedEventAttributes",
              {"result": _payloads(result), "scheduledEventId": scheduled, "startedEventId": started,
               "identity": "worker-1@fulfil-7d9c"})

    order = {"order": "SO-48213", "customer": "Harbor Foods", "lines": [
        {"sku": "OAT-1KG", "qty": 12}, {"sku": "RYE-500G", "qty": 30}]}
    event("WORKFLOW_EXECUTION_STARTED", 0, "workflowExecutionStartedEventAttributes",
          {"workflowType": {"name": "FulfilOrder"},
           "taskQueue": {"name": "fulfilment", "kind": "TASK_QUEUE_KIND_NORMAL"},
           "input": _payloads(order), "workflowRunTimeout": "0s", "workflowTaskTimeout": "10s",
           "originalExecutionRunId": "3f6b1c2e-8a47-4d0b-9e51-7a2f0c9d4e18",
           "firstExecutionRunId": "3f6b1c2e-8a47-4d0b-9e51-7a2f0c9d4e18",
           "identity": "orders-api@web-3", "attempt": 1, "workflowId": "fulfil-SO-48213"})
    task = workflow_task()
    activity("ReserveStock", task, {"order": "SO-48213", "lines": order["lines"]},
             {"reservation": "RSV-20913", "warehouse": "AMS-2"}, 0.84)
    task = workflow_task()
    activity("BookCarrier", task, {"reservation": "RSV-20913", "service": "next-day"},
             {"carrier": "PostNL", "tracking": "3SPNL0048213", "label": "s3://labels/3SPNL0048213.pdf"},
             1.42, attempt=2, last_failure={
                 "message": "activity StartToClose timeout", "source": "Server",
                 "timeoutFailureInfo": {"timeoutType": "TIMEOUT_TYPE_START_TO_CLOSE"},
                 "cause": {"message": "carrier API did not answer within 30s",
                           "applicationFailureInfo": {"type": "CarrierTimeout"}}})
    task = workflow_task()
    timer = event("TIMER_STARTED", 0.01, "timerStartedEventAttributes",
          {"timerId": "wait-for-pickup", "startToFireTimeout": "900s", "workflowTaskCompletedEventId": task})
    event("WORKFLOW_EXECUTION_SIGNALED", 412.3, "workflowExecutionSignaledEventAttributes",
          {"signalName": "pickedUp", "input": _payloads({"driver": "D-118", "at": "AMS-2 dock 4"}),
           "identity": "carrier-webhook@edge-1"})
    event("TIMER_FIRED", 487.7, "timerFiredEventAttributes", {"timerId": "wait-for-pickup", "startedEventId": timer})
    task = workflow_task()
    initiated = event("START_CHILD_WORKFLOW_EXECUTION_INITIATED", 0.01,
                      "startChildWorkflowExecutionInitiatedEventAttributes",
                      {"namespace": "default", "workflowId": "notify-SO-48213",
                       "workflowType": {"name": "NotifyCustomer"},
                       "taskQueue": {"name": "notifications", "kind": "TASK_QUEUE_KIND_NORMAL"},
                       "input": _payloads({"customer": "Harbor Foods", "tracking": "3SPNL0048213"}),
                       "workflowTaskCompletedEventId": task})
    child = {"workflowId": "notify-SO-48213", "runId": "9d2e7f41-05c3-4b8a-a6d1-2c8e3f7b0a55"}
    started = event("CHILD_WORKFLOW_EXECUTION_STARTED", 0.05, "childWorkflowExecutionStartedEventAttributes",
                    {"namespace": "default", "initiatedEventId": initiated, "workflowExecution": child,
                     "workflowType": {"name": "NotifyCustomer"}})
    event("CHILD_WORKFLOW_EXECUTION_COMPLETED", 1.9, "childWorkflowExecutionCompletedEventAttributes",
          {"result": _payloads({"email": "sent", "sms": "sent"}), "namespace": "default",
           "workflowExecution": child, "workflowType": {"name": "NotifyCustomer"},
           "initiatedEventId": initiated, "startedEventId": started})
    task = workflow_task()
    event("WORKFLOW_EXECUTION_COMPLETED", 0.01, "workflowExecutionCompletedEventAttributes",
          {"result": _payloads({"order": "SO-48213", "state": "shipped", "tracking": "3SPNL0048213"}),
           "workflowTaskCompletedEventId": task})
    return {"events": events}


# --- OpenTelemetry ----------------------------------------------------------------------


def _attr(key: str, value) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def otlp_trace() -> dict:
    trace = "5b8efff798038103d269b633813fc60c"
    base = START + timedelta(minutes=30)

    def ns(ms: float) -> str:
        return str(_ms(base) * 1_000_000 + int(ms * 1_000_000))

    def span(span_id: str, parent: str | None, name: str, kind: int, start: float, end: float,
             attrs: list[dict], *, events: list[dict] | None = None, code: int = 0) -> dict:
        out = {"traceId": trace, "spanId": span_id, "name": name, "kind": kind,
               "startTimeUnixNano": ns(start), "endTimeUnixNano": ns(end),
               "attributes": attrs, "status": {"code": code}}
        if parent:
            out["parentSpanId"] = parent
        if events:
            out["events"] = events
        return out

    root = "eee19b7ec3c1b174"
    spans = [
        span(root, None, "POST /v1/refunds", 2, 0, 742, [
            _attr("http.request.method", "POST"), _attr("url.path", "/v1/refunds"),
            _attr("url.scheme", "https"), _attr("server.address", "payments.example.com"),
            _attr("http.route", "/v1/refunds"), _attr("http.response.status_code", 201),
            _attr("user_agent.original", "support-console/3.4")], code=1),
        span("eee19b7ec3c1b175", root, "SELECT payments", 3, 6, 19, [
            _attr("db.system.name", "postgresql"), _attr("db.namespace", "payments"),
            _attr("db.operation.name", "SELECT"), _attr("db.collection.name", "payments"),
            _attr("db.query.text", "SELECT id, amount, state FROM payments WHERE id = $1")]),
        span("eee19b7ec3c1b176", root, "GET", 3, 21, 272, [
            _attr("db.system.name", "redis"), _attr("db.operation.name", "GET"),
            _attr("db.query.text", "GET refund-lock:PAY-30817"),
            _attr("server.address", "cache.internal")], events=[{
                "timeUnixNano": ns(272), "name": "exception", "attributes": [
                    _attr("exception.type", "redis.exceptions.TimeoutError"),
                    _attr("exception.message", "Timeout reading from cache.internal:6379"),
                    _attr("exception.stacktrace", "Traceback (most recent call last):\n"
                          "  File \"refunds/locks.py\", line 41, in refund_lock\n"
                          "    return cache.get(key)\n"
                          "redis.exceptions.TimeoutError: Timeout reading from cache.internal:6379"),
                    _attr("exception.escaped", False)]}]),
        span("eee19b7ec3c1b177", root, "POST", 3, 280, 701, [
            _attr("http.request.method", "POST"), _attr("url.full", "https://psp.example.net/refunds"),
            _attr("server.address", "psp.example.net"), _attr("http.response.status_code", 201)]),
        span("eee19b7ec3c1b178", root, "UPDATE payments", 3, 705, 716, [
            _attr("db.system.name", "postgresql"), _attr("db.namespace", "payments"),
            _attr("db.operation.name", "UPDATE"), _attr("db.collection.name", "payments")]),
        span("eee19b7ec3c1b179", root, "refunds.created publish", 4, 718, 731, [
            _attr("messaging.system", "kafka"), _attr("messaging.operation.type", "publish"),
            _attr("messaging.destination.name", "refunds.created"),
            _attr("messaging.kafka.message.key", "RF-77120")]),
    ]
    return {"resourceSpans": [{
        "resource": {"attributes": [_attr("service.name", "payments-api"),
                                    _attr("service.version", "2.14.0"),
                                    _attr("deployment.environment.name", "production")]},
        "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.flask", "version": "0.48b0"},
                        "spans": spans}]}]}


def build() -> dict[str, bytes]:
    """Every export by its path under sample_runs/."""
    return {
        "imports/n8n-execution.json": _compact(n8n_execution()),
        "imports/temporal-history.json":
            (json.dumps(temporal_history(), indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        "imports/otlp-trace.json": _compact(otlp_trace()),
    }
