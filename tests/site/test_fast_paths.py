"""The build's fast paths judge a value on its JSON text; they must never miss what the walk finds.

Redaction and Markdown detection first look at a value's compact JSON (at C
speed) and only walk it when something could match. These tests hold the
prechecks to the walks they stand in for: every secret is still redacted,
every Markdown string still rendered.
"""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from runreport import derive
from runreport.model import Entry, Group, Run
from runreport.site import pagedata
from runreport.site.markdown import looks_like_markdown, markdown_map, may_hold_markdown
from runreport.site.chunks import encoded
from runreport.site.redact import _SECRET_KEY, _WALK, REDACTED, Redactor

# --- redaction ---------------------------------------------------------------------------


def test_secret_keys_are_found_in_any_case_and_any_nesting():
    r = Redactor()
    value = {"items": [{"id": 1}, [{"PassWord": "p"}], {"deep": [{"x-API-KEY": "k"}]}],
             "Headers": {"AUTHORIZATION": "Bearer x", "Set-Cookie": "s"},
             "list": [[[{"Client.Secret": "c", "ok": 1}]]]}
    out = r.value(value)
    assert out["items"][1][0]["PassWord"] == REDACTED
    assert out["items"][2]["deep"][0]["x-API-KEY"] == REDACTED
    assert out["Headers"] == {"AUTHORIZATION": REDACTED, "Set-Cookie": REDACTED}
    assert out["list"][0][0][0] == {"Client.Secret": REDACTED, "ok": 1}
    assert out["items"][0] == {"id": 1}


def test_url_query_parameters_inside_arrays_are_redacted():
    r = Redactor()
    out = r.value({"calls": [["https://h.example/a?Access_Token=abc&page=2"]]})
    assert out == {"calls": [["https://h.example/a?Access_Token=[redacted]&page=2"]]}


def test_keys_the_quick_key_scan_cannot_read_are_still_found():
    r = Redactor()
    # An escaped quote anywhere, a key starting with ':', escapes in a key,
    # and non-ASCII letters that match ASCII ones case-insensitively (ſ ~ s).
    value = {"note": 'say "hi": ok', ":token": "t", 'to"ken': "u", "pa\\ss\nword": "v",
             "paſſword": "w", "tab\tsecret": "x", "": "empty"}
    out = r.value(value)
    assert out["note"] == 'say "hi": ok'
    assert out[":token"] == REDACTED
    assert out["paſſword"] == REDACTED
    assert out["tab\tsecret"] == REDACTED
    assert out['to"ken'] == "u" and out["pa\\ss\nword"] == "v" and out[""] == "empty"
    assert r.json(value)[0] == orjson.dumps(out)  # the bytes a page gets


def test_extra_patterns_with_anchors_apply_to_whole_keys():
    r = Redactor(["^ssn$", "pin"])
    out = r.value([{"SSN": "1", "ssn_hash": "2", "Pin-Code": "3", "spinach": "4", "name": "n"}])
    assert out == [{"SSN": REDACTED, "ssn_hash": "2", "Pin-Code": REDACTED, "spinach": REDACTED,
                    "name": "n"}]


def test_secret_names_split_by_separators_or_folded_letters_are_found():
    r = Redactor()
    value = {"a": {"Pass word": 1, "to.ken": 2, "pa-ss_wo.rd": 3, "ſecret": 4, "ap\u0131key": 5},
             "u": "https://h.example/x?to+ken=1&Api.Key=2&%74oken=3&page=4"}
    out = r.value(value)
    assert out["a"] == {k: REDACTED for k in value["a"]}
    # (Parameter names are kept as logged: only values are replaced.)
    assert out["u"] == "https://h.example/x?to+ken=[redacted]&Api.Key=[redacted]&%74oken=[redacted]&page=4"


def _written(run: Run, redactor: Redactor | None = None) -> tuple[pagedata.RunPage, list]:
    """A run's page and its values files as a browser reads them."""
    files = pagedata.run_files(run, redactor=redactor or Redactor())
    return files.page, orjson.loads(orjson.dumps(list(files.values)))


def _one_entry_run(entry: Entry, **run_fields) -> Run:
    return Run("r1", "C", None, "test", None, None, "completed", run_fields.get("error"),
               run_fields.get("trigger"), run_fields.get("meta"),
               (Group(entry.automation, "success", (entry.entry_id,)),), (entry,), True,
               other_fields=run_fields.get("other_fields", {}))


def test_a_run_end_with_fields_named_like_the_run_records_hides_no_secret():
    from runreport.derive import derive_run
    from runreport.merge import RunState, apply_record
    from runreport.read import Line
    from runreport.records import check_record

    state = RunState("r1", "a.jsonl", 1)
    lines = [{"type": "run", "run_id": "r1", "composer": "C", "mode": "test",
              "started_at": "2026-11-20T10:00:00Z",
              "trigger": {"token": "SEKRIT"}, "meta": {"password": "PW"}},
             {"type": "run_end", "run_id": "r1", "ended_at": "2026-11-20T10:00:09Z",
              "trigger": "manual", "meta": None}]
    for n, line in enumerate(lines, 1):
        record, problems = check_record(Line("a.jsonl", n, line))
        assert record is not None, problems
        apply_record(state, record, n)
    _, values = _written(derive_run(state)[0])
    shown = values[0]["run"]
    assert shown["trigger"]["value"] == {"token": REDACTED}
    assert shown["meta"]["value"] == {"password": REDACTED}


def test_unknown_run_fields_and_the_run_error_are_redacted():
    other = {"api_token": "xyz", "region": "eu-west-1",
             "callback": "https://h.example/done?signature=abc&id=7"}
    entry = Entry("e1", "Step", "code", "A", None, None, "success", "success", 0, ("Step",), ("e1",),
                  (), None, None, None, None, (), (), None, None, (), False, {})
    run = _one_entry_run(entry, other_fields=other,
                         error={"message": "login failed", "password": "hunter2"})
    page, values = _written(run)
    assert values[0]["run"]["other"]["value"] == {
        "api_token": REDACTED, "region": "eu-west-1",
        "callback": "https://h.example/done?signature=[redacted]&id=7"}
    assert "hunter2" not in orjson.dumps(values).decode() and "hunter2" not in (page.error_text or "")
    assert run.other_fields["api_token"] == "xyz"  # the model is not changed


def test_summary_rows_holding_objects_are_redacted_inside():
    fields = {"summary": {"info": {"token": "x", "n": 1}, "list": [{"api_key": "k"}], "plain": "{x",
                          "Token": "t"}}
    entry = Entry("e1", "Step", "code", "A", None, None, "success", "success", 0, ("Step",), ("e1",),
                  (), None, None, None, None, derive.summary_rows(fields), (), None, None, (), False,
                  dict(fields))
    page, _ = _written(_one_entry_run(entry))
    rows = {r.label: r.text for r in page.groups[0].entries[0].summary}  # as shown
    assert rows == {"info": '{"token":"[redacted]","n":1}', "list": '[{"api_key":"[redacted]"}]',
                    "plain": "{x", "Token": REDACTED}


def test_a_value_with_nothing_secret_is_returned_as_is():
    value = {"rows": [{"id": i, "email": f"a{i}@x.example"} for i in range(50)]}
    assert Redactor().value(value) is value


_KEYS = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["Authorization", "cookie", "PASS-WORD", "api_key", "auth", "AUTH ", "Auth",
                     "author", ":secret", "se\"cret", "x\\token", "ſecret", "ssn", "id", "name",
                     "Pass word", "to.ken", "X-Api-Key", "\u212aEY", "apı_key", "SİGNATURE",
                     "sessıon_id", "tok_en", "Set-Cookie", "pass+word"]),
)
_URLS = st.one_of(
    st.builds(lambda k: f"https://h.example/p?{k}=v&a=1",
              st.sampled_from(["access_token", "page", "Sig%6eature", "api%5Fkey", "x+token",
                               "to+ken", "Api.Key", "ſession-id", "q"])),
    # Passwords in URLs hold no secret name: the prechecks must still send them to the walk.
    st.builds(lambda user, rest: f"https://{user}@h.example{rest}",
              st.sampled_from(["admin:pw", "admin", "a@b:c", "u:", ":p", "u\t:p"]),
              st.sampled_from(["", "/x", ":8080/p?q=1", "#access_token=1", "/@x:y"])),
    st.builds(lambda user: f"no route to postgres://{user}@db:5432/main", st.sampled_from(["app:pw", "app"])),
)
# Form-encoded strings (request bodies), names plain, percent-encoded or folded.
_FORMS = st.builds(lambda name, value: f"{name}={value}&scope=read",
                   st.sampled_from(["client_secret", "%73ecret", "%C5%BFecret", "to+ken", "x%2Dapi%2Dkey",
                                    "id", "pass", "q"]),
                   st.sampled_from(["s3cr3t", "", "a=b"]))

# Free text: prose naming secrets, NAME=value assignments and header lines, their names
# glued to other text by the characters that delimit names in queries, forms and lines.
_PROSE = st.lists(st.one_of(
    st.sampled_from(["Token bucket rate limit: 40", "the author asked", "OAuth token", " ", "\n", "&",
                     "https://h.example/a?page=1", "x:", "a&b:", "12:30", "=", "?", "#", "'", "é"]),
    st.builds(lambda name, glue, value: f"{name}{glue}{value}",
              st.sampled_from(["token", "x-api-key", "DB_PASSWORD", "Authorization", "to-ken", "tokené",
                               "token?x", "token#x", "token:x", "token[0]", "b:token", "my token",
                               "%74oken", "page", "author", "sig", "Sig"]),
              st.sampled_from(["=", ": ", ":", "= "]),
              st.sampled_from(["s3cr3t", "Bearer abc", "'q'", "", "1&scope=read"])),
    # Secrets known by their shape, and words that only look like the start of one.
    st.sampled_from(["Bearer ab12cd34ef56", "Basic dXNlcjpwYXNz", "basic dXNlcjpwYXNz", "Basic plan", "BEARER x",
                     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_1", "AKIAIOSFODNN7EXAMPLE",
                     "ghp_" + "a1" * 18, "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0\n"
                     "-----END PRIVATE KEY-----", "sk_live_" + "x" * 24, "{'password': 'pw'}",
                     '"api_key" = "k1"', "internationalization", "DEPLOY-s3cr3t-42"])),
    max_size=5).map("".join)



def test_names_glued_to_other_text_are_still_read_as_the_walk_reads_them():
    # Each name sits where one search for names could hide it from the other: a header
    # line's match ("a&b:") running into an assignment ("token=1"), a query name holding
    # "?" or "#", a name ending in a letter outside ASCII, a name holding a space.
    r = Redactor()
    for text in ["a&b:token=1", "token?x=1&y=2", "token#x=1&y=2", "tokené: v", "x:token=1",
                 "https://h.example/?my token=2", "note: rate limit\nX-Api-Key: k1",
                 "b=1 Authorization: Bearer t"]:
        value = {"n": text, "rows": [{"id": 1}]}
        assert r.json(value)[0] == orjson.dumps(r._walk(value)), text
        assert r._walk(value) != value, text  # (each holds a secret)

def _compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)  # (integers of any size)


def _as_json_text(value_and_style) -> str:
    """`value` as JSON text written as some writer would: compact, indented, "/" or letters escaped."""
    value, style = value_and_style
    compact = _compact(value)
    if style == "indented":
        return json.dumps(value, indent=1)  # (non-ASCII letters as \u escapes)
    if style == "slashes":
        return compact.replace("/", "\\/")
    if style == "escaped":
        return compact.replace("t", "\\u0074").replace("k", "\\u006B")
    return compact


def _with_json_texts(inner):
    """Containers of `inner`, and strings holding one of them (or a scalar) as JSON text."""
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4),
                     st.tuples(inner, st.sampled_from(["compact", "indented", "slashes", "escaped"]))
                     .map(_as_json_text))


_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), _URLS, _FORMS, _PROSE),
    _with_json_texts,
    max_leaves=16,
)


# Keys spelt from the letters of the secret-name rules, their separators, a final newline
# (which Python's "$" allows), and what escapes or folds onto ASCII.
_RULE_KEYS = st.text(st.sampled_from(list("paswordecrtkyinuhjglPASWTOKEYINH-_ .+\n\t%:'\"\\ıſK")),
                     max_size=14)


@settings(max_examples=3000, deadline=None)
@given(_RULE_KEYS, st.sampled_from(["key", "name", "query", "header"]))
@example('"PIN', "key")  # (an escaped quote before a rule's word: walked, not trusted)
def test_the_single_pass_finds_every_name_the_rules_call_secret(name, where):
    r = Redactor()
    value = {"key": {name: "v"}, "name": [{"k": [{name: 1}]}], "query": f"https://h.example/?{name}=v",
             "header": f"GET /\n{name}: v"}[where]
    found = r._triage.groups(orjson.dumps(value))
    if r.is_secret_key(name):
        assert found & (_SECRET_KEY | _WALK)
    # (Exact where the pass reads keys as keys: text with an escaped quote or letter is
    # walked whatever else it finds, so a key such as '"PIN' may be called secret there.)
    if where in ("key", "name") and found & _SECRET_KEY and not found & _WALK:
        assert r.is_secret_key(name)  # (a key the rules clear costs no walk)
    assert r.json(value)[0] == encoded(Redactor(["(?!)"])._walk(value))


@settings(max_examples=400, deadline=None)
@given(_VALUES, st.sampled_from([(), ("ssn",), ("^id$",)]), st.sampled_from([(), ("DEPLOY-s3cr3t-42",)]))
def test_precheck_never_changes_what_is_redacted(value, extra, masked):
    r = Redactor(extra, masked)
    assert r.value(value) == r._walk(value)


@settings(max_examples=600, deadline=None)
@given(st.one_of(_VALUES, _VALUES.map(lambda v: {"headers": {"Authorization": "Bearer x"}, "body": v,
                                                  "note": "OAuth token by the author"})),
       st.sampled_from([(), ("ssn",), ("^id$",)]), st.sampled_from([(), ("DEPLOY-s3cr3t-42",)]))
def test_redacting_the_written_bytes_gives_the_bytes_of_the_exact_walk(value, extra, masked):
    # What the site writes (one serialization, judged by keys and string structure)
    # is what serializing the exactly walked value would give.
    exact = Redactor(extra, masked)
    data, shown, markdown_hint = Redactor(extra, masked).json(value)
    assert data == encoded(exact._walk(value))
    assert shown is None or encoded(shown) == data
    if markdown_hint is not None:  # (the Markdown hint of the same pass)
        assert markdown_hint == may_hold_markdown(data)


def test_prose_naming_secrets_is_written_as_logged_and_secrets_under_keys_are_not():
    value = {"note": "Refreshed the OAuth token; cookie consent by the author",
             "headers": {"authorization": "Bearer s3cr3t", "accept": "application/json"},
             "db": {"password": "hunter2", "pin": None}, "count": 3}
    data, shown, _ = Redactor().json(value)
    assert b"s3cr3t" not in data and b"hunter2" not in data
    assert b"Refreshed the OAuth token; cookie consent by the author" in data
    assert orjson.loads(data)["db"] == {"password": REDACTED, "pin": None}
    clear = {"note": "OAuth token refreshed by the author", "rows": [{"signature": None}]}
    assert Redactor().json(clear) == (orjson.dumps(clear), clear, False)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_URLS, _FORMS, _VALUES.map(_compact)))
def test_a_string_the_walk_changes_is_never_written_as_logged(text):
    r = Redactor()
    if r.text(text) != text:
        assert r._may_hold_secret(text)  # the string itself (a body before it is parsed)
        assert r._may_hold_secret(orjson.dumps(text).decode())  # and inside a value's JSON text
        assert r.json([text])[0] == orjson.dumps([r.text(text)])


# As read from JSON Lines: orjson reads integers beyond 64 bits as floats.
_READ_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), st.text(max_size=8), _URLS,
              _FORMS),
    _with_json_texts,
    max_leaves=16,
)
_BODIES = st.one_of(_READ_VALUES, _READ_VALUES.map(lambda v: orjson.dumps(v).decode()),
                    st.sampled_from(['{"\\u0074oken": "x"}', '{"Pass-Word": 1}', '[{"ok": 1}]']))
_FIELDS = st.fixed_dictionaries({}, optional={
    "input": _READ_VALUES, "output": _READ_VALUES, "error": _READ_VALUES,
    "summary": st.dictionaries(_KEYS, _READ_VALUES),
    "iteration": st.fixed_dictionaries({"item": _READ_VALUES}), "x_other": _READ_VALUES,
    "review": st.fixed_dictionaries({"decision": st.sampled_from(["approved", "rejected"])},
                                    optional={"comment": _READ_VALUES}),
    "http": st.fixed_dictionaries({
        "request": st.fixed_dictionaries({"method": st.just("POST")}, optional={
            "url": _URLS, "headers": st.dictionaries(_KEYS, st.text(max_size=4)), "body": _BODIES}),
        "response": st.fixed_dictionaries({"status": st.sampled_from([200, 404, 500])}, optional={
            "headers": st.dictionaries(_KEYS, st.text(max_size=4)), "body": _BODIES}),
    }),
})


@settings(max_examples=400, deadline=None)
@given(_FIELDS)
def test_what_a_run_writes_is_what_the_exact_walk_would_write(fields):
    # Built as derive builds entries: sections, summary rows and review all come from the fields.
    entry = Entry("e1", "Step", "http", "A", None, None, "success", "success", 0, ("Step",), ("e1",),
                  (), None, None, None, None, derive.summary_rows(fields), derive.sections(fields),
                  fields.get("review"), None, (), False, dict(fields))
    exact = Redactor(["(?!)"])  # rules of one's own (one matching nothing): no stem shortcut
    run = _one_entry_run(entry)
    assert _written(run) == _written(run, exact)


# --- Markdown ------------------------------------------------------------------------------

_MD_ALPHABET = st.sampled_from(list("#-*+19.)[]()`>|:_ ab\n\t\r\x0b\x0c\x1c\x1f\x85\xa0\u3000\"\\\x00٣"))


@settings(max_examples=3000, deadline=None)
@given(st.text(_MD_ALPHABET, max_size=12), st.sampled_from(["list", "dict", "nested"]))
def test_markdown_precheck_never_misses_a_markdown_string(text, where):
    value = {"list": [text], "dict": {"k:": text}, "nested": ["x\n", {"a": [1, text]}]}[where]
    if looks_like_markdown(text):
        assert may_hold_markdown(orjson.dumps(value))  # the precheck, on what the packer writes
        assert markdown_map(value)  # and the walk then renders it


def test_markdown_is_found_after_escaped_whitespace_and_in_keys_values_alike():
    value = {"a": ["plain", "x\n\t- item"], "b": {"c": "see [docs](https://d.example)"}, "n": 5}
    assert sorted(markdown_map(value)) == ["/a/1", "/b/c"]
    assert markdown_map({"rows": [{"id": 1, "name": "Alpha Bravo", "at": "2026-01-01"}]}) == {}


# --- run pages rendered by worker processes ---------------------------------------------------


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_worker_processes_write_the_same_site_byte_for_byte(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    inputs = [str(root / "sample_runs"), str(root / "tests" / "fixtures" / "site" / "secrets.jsonl")]

    def build(name: str, jobs: str):
        env = {**os.environ, "RUNREPORT_JOBS": jobs}
        done = subprocess.run([sys.executable, "-m", "runreport", "build", *inputs,
                               "-o", str(tmp_path / name), "--store", str(tmp_path / f"{name}.store")],
                              env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done

    build("one", "1")
    build("two", "2")
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) > 100
    assert [k for k in one if one[k] != two[k]] == []
    assert b"[redacted]" in b"".join(two.values())
    # A rebuild with nothing new, in worker mode, rewrites no page or data file.
    pages = [k for k in two if not k.startswith(".")]
    before = {k: (tmp_path / "two" / k).stat().st_mtime_ns for k in pages}
    build("two", "2")
    assert {k: (tmp_path / "two" / k).stat().st_mtime_ns for k in pages} == before


# --- data files ---------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(list("<>/!-&\\\"sScript\u2028\u2029 ")), max_size=20))
def test_data_file_json_round_trips_and_never_holds_a_closing_tag_or_comment(text):
    import json

    from runreport.site.render import js_json

    out = js_json({"s": text, "k": [text]})
    assert json.loads(out) == {"s": text, "k": [text]}
    assert "</" not in out and "<!--" not in out and "\u2028" not in out and "\u2029" not in out


# --- the loader's light derivation ---------------------------------------------------------


def test_index_rows_and_problems_need_no_values(tmp_path):
    from pathlib import Path

    from runreport import pipeline
    from runreport.derive import derive_run

    root = Path(__file__).resolve().parents[2]
    loaded = pipeline.load([root / "sample_runs", root / "tests" / "fixtures" / "site"],
                           store_dir=tmp_path / "store")
    assert len(loaded.index) > 30
    for row in loaded.index:
        state = loaded.store.get_state(row.run_id)
        light, light_problems = derive_run(state, detail=False)
        full, full_problems = derive_run(state)
        assert pipeline.index_row(light) == pipeline.index_row(full) == row
        assert light_problems == full_problems


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.integers()))
def test_log_markup_escapes_as_the_templates_do(value):
    from markupsafe import escape

    from runreport.site.logmarkup import _x

    assert _x(value) == str(escape(value))


def test_short_and_suffixed_secret_names_and_name_value_header_pairs_are_redacted():
    # Shapes real logs use that the first rules missed (each published before).
    value = {"pwd": "a1", "pass": "a2", "passwd": "a3", "pin": 1234, "otp": "a5", "jwt": "a6",
             "authKey": "a7", "stripe_key": "a8", "Signing-Key": "a9", "sig": "b1",
             "headers": [{"name": "Authorization", "value": "Bearer b2"}, {"name": "Accept", "value": "json"}],
             "params": [{"key": "X-Api-Key", "value": "b3"}],
             "url": "https://h.example/x?sig=b4&key=b5&X-Amz-Signature=b6&page=2",
             "note": "pinned: token bucket refilled by the author", "primary": "kept", "pinned": "kept too"}
    data, _, _ = Redactor().json(value)
    shown = orjson.loads(data)
    for secret in ("a1", "a2", "a3", "1234", "a5", "a6", "a7", "a8", "a9", "b1", "b2", "b3", "b4", "b5", "b6"):
        assert secret.encode() not in data.replace(b"page=2", b""), secret
    assert shown["headers"][1] == {"name": "Accept", "value": "json"}
    assert shown["note"] == value["note"] and shown["primary"] == "kept" and shown["pinned"] == "kept too"
    assert data == orjson.dumps(Redactor()._walk(value))


def test_name_value_assignments_in_free_text_are_redacted():
    r = Redactor()
    assert r.text("DB_PASSWORD=hunter2 DB_HOST=db.internal") == "DB_PASSWORD=[redacted] DB_HOST=db.internal"
    assert r.text("export API_KEY='abc 123'; echo ok") == "export API_KEY=[redacted]; echo ok"
    assert r.text("run --token=tok123 --verbose") == "run --token=[redacted] --verbose"
    assert r.text("fetched https://h.example/x?sig=s1&page=2 in 3 s") == \
        "fetched https://h.example/x?sig=[redacted]&page=2 in 3 s"  # a URL inside a sentence
    plain = "see https://h.example/docs?page=2 and a=b"
    assert r.text(plain) is plain
    data, _, _ = r.json({"log": "DB_PASSWORD=hunter2", "note": "OAuth token refreshed"})
    assert b"hunter2" not in data and data == orjson.dumps(r._walk({"log": "DB_PASSWORD=hunter2",
                                                                   "note": "OAuth token refreshed"}))


def test_header_lines_in_text_lose_the_values_of_secret_headers():
    r = Redactor()
    assert r.text("curl -H 'X-Api-Key: k123' https://h.example/x") == \
        "curl -H 'X-Api-Key: [redacted]' https://h.example/x"
    assert r.text("Authorization: Bearer abc.def\nAccept: json") == "Authorization: [redacted]\nAccept: json"
    for text in ("Note: token bucket refilled", "https://h.example/x?page=2", "at 10:00:00 it ran"):
        assert r.text(text) is text
    value = {"cmd": "curl -H 'Cookie: sid=s1' https://h.example", "note": "Error: token expired"}
    data, _, _ = r.json(value)
    assert b"s1" not in data and data == orjson.dumps(r._walk(value))


def test_a_text_the_automaton_gave_up_on_counts_as_matching_everything():
    # RE2 answers "no match" for a text whose automaton outgrew its memory; the pass must
    # then send the value to the exact walk, never clear it.
    from runreport.site.bytepattern import PatternSet

    patterns = PatternSet([(rb"token", 1), (rb"cookie", 2)])
    assert patterns.groups(b'{"note":"plain"}') == 0
    assert patterns.groups(b'{"token":1}') == 1

    class GaveUp:
        def Match(self, text):
            return None

    patterns._set = GaveUp()
    assert patterns.groups(b'{"note":"plain"}') == 1 | 2
    r = Redactor()
    r._triage._set = GaveUp()
    value = {"db": {"password": "hunter2"}, "url": "https://u:pw@h.example/"}
    assert b"hunter2" not in r.json(value)[0] and b":pw@" not in r.json(value)[0]


def test_a_template_cache_folder_that_is_gone_costs_a_compile_not_the_build(tmp_path):
    """The templates' compiled code is kept in the store; a build in a process whose last
    store is gone (a temporary one, as a shard without -o uses) still renders."""
    import shutil

    from runreport.site import render

    env = render.environment()
    kept = env.bytecode_cache
    try:
        folder = tmp_path / "store" / "templates"
        render.cache_templates(folder)
        shutil.rmtree(tmp_path / "store")
        env.cache.clear()  # every template is loaded again, and its code written to the cache
        assert env.get_template("problems.html").name == "problems.html"
        assert not (tmp_path / "store").exists()
    finally:
        env.bytecode_cache = kept
        env.cache.clear()


# --- values kept as their text ------------------------------------------------------------

_ODD_VALUES = [
    # Written by other writers: spaced, "/" escaped, numbers orjson writes otherwise.
    b'{"type":"run","run_id":"odd","composer":"Odd","mode":"test","started_at":"2026-01-01T00:00:00Z"}',
    b'{"type":"step","run_id":"odd","entry_id":"a","name":"Spaced","status":"completed",'
    b'"input": {"url" : "https:\\/\\/h.example\\/x", "n": [1.50, 1e5, -0, 0.0000001, 12345678901234567]},'
    b'"output":{"password" : "hunter2-odd", "rows": [ {"id": 1} ]}}',
    b'{"type":"step","run_id":"odd","entry_id":"b","name":"Fetch","status":"error",'
    b'"http":{"request":{"method":"GET","url":"https://h.example/p?token=tok-odd-1"},'
    b'"response":{"status":500,"headers":{"set-cookie":"c-odd"},"body":{"message":"boom","api_key":"k-odd"}}}}',
    b'{"type":"step","run_id":"odd","entry_id":"c","name":"Page","status":"completed","parent":"b",'
    b'"http":{"request":{"method":"GET"},"response":{"status":200,"body":[{"note":"# Title\\n\\n* a *list*"},'
    b'{"auth":"Bearer abcdefgh12345678odd"}]}},"output":{"markdown":"**bold** text"}}',
    b'{"type":"run_end","run_id":"odd","ended_at":"2026-01-01T00:01:00Z","output":{"summary" : [1.50]}}',
]


@pytest.mark.parametrize("exports", [False, True])
def test_values_kept_as_their_text_write_the_site_the_full_parse_writes(tmp_path, monkeypatch, exports):
    # Run logs alone take the first build's path; with exports to import, runs are read
    # back from the store (merge.replay).
    from pathlib import Path

    from click.testing import CliRunner

    from runreport import merge, read
    from runreport.cli import main

    root = Path(__file__).resolve().parents[2]
    odd = tmp_path / "odd.jsonl"
    odd.write_bytes(b"\n".join(_ODD_VALUES) + b"\n")
    inputs = [str(root / "sample_runs"), str(root / "tests" / "fixtures" / "site" / "secrets.jsonl"), str(odd),
              *([] if exports else ["--from", "runlog"])]
    monkeypatch.setenv("RUNREPORT_JOBS", "1")

    def build(name: str) -> dict[str, bytes]:
        result = CliRunner().invoke(main, ["build", *inputs, "-o", str(tmp_path / name),
                                           "--store", str(tmp_path / f"{name}.store")])
        assert result.exit_code == 0, result.output
        return _tree(tmp_path / name)

    kept = build("kept")
    monkeypatch.setattr(read, "read_keeping_text", lambda *args: None)
    monkeypatch.setattr(merge, "read_keeping_text", lambda *args: None)
    parsed = build("parsed")
    assert kept.keys() == parsed.keys()
    assert [k for k in kept if kept[k] != parsed[k]] == []
    site = b"".join(kept.values())
    for secret in (b"hunter2-odd", b"tok-odd-1", b"c-odd", b"k-odd", b"abcdefgh12345678odd"):
        assert secret not in site
    assert b"https://h.example/x" in site and b"1.5,100000.0,0,1e-7" in site  # (as orjson writes them)
