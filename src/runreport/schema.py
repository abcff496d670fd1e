"""The run log format as JSON Schema (draft 2020-12), built from the field tables of :mod:`runreport.records`.

A record the schema accepts is one :func:`runreport.records.check_record`
accepts without any problem. Records with problems of severity "warning"
(an unknown ``status``, a mistyped optional field) are still read by
runreport, but the schema, which describes a clean log, rejects them.
"""

from __future__ import annotations

from runreport.records import FORMAT_VERSION, RECORD_FIELDS, Field

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"urn:runreport:run-log-record:v{FORMAT_VERSION}"

_DESCRIPTIONS = {
    "run": "The start of a run: one execution of a composer.",
    "run_end": "The end of a run.",
    "step": (
        "One log entry, or an update to one: records with the same run_id and entry_id are merged. "
        '"name" and "status" are required on the first record of an entry.'
    ),
}


def json_schema() -> dict:
    """Return the JSON Schema of one record of the run log."""
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": f"runreport run log record (format version {FORMAT_VERSION})",
        "description": (
            "One line of a JSON Lines run log. Fields not named here are allowed and kept. "
            "An optional field may be null, which clears it when an entry's records are merged. "
            "Status and mode names are matched in any letter case."
        ),
        "type": "object",
        "required": ["type"],
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in RECORD_FIELDS],
        "$defs": {name: _record_schema(name, fields) for name, fields in RECORD_FIELDS.items()},
    }


def _record_schema(record_type: str, fields: tuple[Field, ...]) -> dict:
    properties = {"v": {"const": FORMAT_VERSION}, "type": {"const": record_type}}
    for field in fields:
        properties[field.name] = field.kind.schema if field.required else _nullable(field.kind.schema)
    return {
        "description": _DESCRIPTIONS[record_type],
        "type": "object",
        "required": ["type", *(f.name for f in fields if f.required)],
        "properties": properties,
        "additionalProperties": True,
    }


def _nullable(schema: dict) -> dict:
    if not schema:  # any value, null included
        return {}
    types = schema.get("type")
    if "anyOf" not in schema and types is not None:
        # Keywords like pattern or minimum only apply to their own type, so widening "type" is enough.
        listed = types if isinstance(types, list) else [types]
        return {**schema, "type": [*listed, "null"]}
    return {"anyOf": [{"type": "null"}, schema]}


SUMMARY_SCHEMA_ID = "urn:runreport:summary:v1"


def summary_schema() -> dict:
    """The JSON Schema of `runreport summary --json` (and of `--details`, whose fields are optional here)."""
    from runreport.model import ENTRY_STATUSES, GROUP_STATUSES, MODES, RUN_STATUSES

    text_or_null = {"type": ["string", "null"]}
    count = {"type": "integer", "minimum": 0}
    entry = {
        "type": "object",
        "required": ["entry_id", "name", "automation", "status", "display_status", "lineage", "badges"],
        "additionalProperties": False,
        "properties": {
            "entry_id": {"type": "string"},
            "name": {"type": "string"},
            "automation": text_or_null,
            "status": {"description": "The entry's own status.", "enum": list(ENTRY_STATUSES)},
            "display_status": {"description": "What its icon shows (a loop shows its children's worst).",
                               "enum": list(ENTRY_STATUSES)},
            "lineage": {"description": "Names from the root ancestor down to the entry itself.",
                        "type": "array", "items": {"type": "string"}, "minItems": 1},
            "badges": {"type": "array", "items": {"type": "string", "pattern": "^(iteration|page) "}},
        },
    }
    run = {
        "type": "object",
        "required": ["run_id", "composer", "mode", "status", "started_at", "ended_at", "groups", "entries"],
        "additionalProperties": False,
        "properties": {
            "run_id": {"type": "string"},
            "composer": {"type": "string"},
            "mode": {"enum": list(MODES)},
            "status": {"enum": list(RUN_STATUSES)},
            "started_at": text_or_null,
            "ended_at": text_or_null,
            "groups": {"type": "array", "items": {
                "type": "object", "required": ["automation", "status"], "additionalProperties": False,
                "properties": {"automation": text_or_null, "status": {"enum": list(GROUP_STATUSES)}}}},
            "entries": {"description": "Display order: depth first.", "type": "array", "items": entry},
            "duration_ms": {"description": "--details: from started_at to ended_at; null while unknown.",
                            "type": ["integer", "null"], "minimum": 0},
            "first_error": {
                "description": "--details: the first failing step in display order, else the run's own "
                               "error (entry_id null); null when there is none. Secrets are redacted.",
                "anyOf": [{"type": "null"}, {
                    "type": "object", "required": ["entry_id", "step", "message", "type"],
                    "additionalProperties": False,
                    "properties": {"entry_id": text_or_null, "step": {"type": "string"},
                                   "message": {"type": "string"}, "type": {"type": "string"}}}]},
            "counts": {
                "description": "--details: entries in all, and by own status.",
                "type": "object", "required": ["entries", *ENTRY_STATUSES], "additionalProperties": False,
                "properties": {"entries": count, **{s: count for s in ENTRY_STATUSES}}},
        },
        "dependentRequired": {"duration_ms": ["first_error", "counts"]},
    }
    problem = {
        "type": "object",
        "required": ["file", "line", "run_id", "severity", "message"],
        "additionalProperties": False,
        "properties": {"file": {"type": "string"}, "line": {"type": "integer", "minimum": 0},
                       "run_id": text_or_null, "severity": {"enum": ["error", "warning"]},
                       "message": {"type": "string"}},
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SUMMARY_SCHEMA_ID,
        "title": "runreport summary --json",
        "description": "Every run with its derived facts, newest first, and the input's problems.",
        "type": "object",
        "required": ["runs", "problems"],
        "additionalProperties": False,
        "properties": {"runs": {"type": "array", "items": run}, "problems": {"type": "array", "items": problem},
                       "stats": _stats_schema()},
    }


def _stats_schema() -> dict:
    """--stats: aggregates across runs (runreport.stats)."""
    from runreport.model import RUN_STATUSES

    count = {"type": "integer", "minimum": 0}
    ms_or_null = {"type": ["integer", "null"], "minimum": 0}
    by_status = {"type": "object", "required": list(RUN_STATUSES), "additionalProperties": False,
                 "properties": {s: count for s in RUN_STATUSES}}
    composer = {
        "type": "object", "additionalProperties": False,
        "required": ["composer", "runs", "by_status", "success_rate", "duration_ms", "days", "slowest_steps"],
        "properties": {
            "composer": {"type": "string"},
            "runs": count,
            "by_status": by_status,
            "success_rate": {"description": "completed ÷ (completed + failed); null before any run finished.",
                             "type": ["number", "null"], "minimum": 0, "maximum": 1},
            "duration_ms": {"type": "object", "required": ["p50", "p95"], "additionalProperties": False,
                            "properties": {"p50": ms_or_null, "p95": ms_or_null}},
            "days": {"description": "Runs per UTC day of their start, by status.", "type": "array", "items": {
                "type": "object", "required": ["day", *RUN_STATUSES], "additionalProperties": False,
                "properties": {"day": {"type": "string"}, **{s: count for s in RUN_STATUSES}}}},
            "slowest_steps": {"type": "array", "items": {
                "type": "object", "required": ["step", "entries", "p50_ms", "p95_ms"], "additionalProperties": False,
                "properties": {"step": {"type": "string"}, "entries": count, "p50_ms": ms_or_null,
                               "p95_ms": ms_or_null}}},
        },
    }
    failure = {
        "type": "object", "additionalProperties": False,
        "required": ["step", "endpoint", "cause", "example", "count", "first_seen", "last_seen", "composers", "runs"],
        "properties": {
            "step": {"type": "string"}, "endpoint": {"type": ["string", "null"]},
            "cause": {"description": "The message with ids, times, addresses and numbers masked.", "type": "string"},
            "example": {"type": "string"}, "count": count,
            "first_seen": {"type": ["string", "null"]}, "last_seen": {"type": ["string", "null"]},
            "composers": {"type": "array", "items": {"type": "string"}},
            "runs": {"description": "Newest first, at most 100.", "type": "array", "items": {"type": "string"}},
        },
    }
    return {"description": "--stats: per composer, and failures grouped by cause.", "type": "object",
            "required": ["composers", "failures"], "additionalProperties": False,
            "properties": {"composers": {"type": "array", "items": composer},
                           "failures": {"type": "array", "items": failure}}}
