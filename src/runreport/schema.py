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
