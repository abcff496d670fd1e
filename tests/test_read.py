"""The read stage: finding input files, splitting and parsing lines, resuming."""

from __future__ import annotations

import gzip
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runreport.problems import Problem
from runreport.read import Cursor, InputError, Line, find_inputs, parse_block, read_file
from runreport.records import check_record


def error(line: int, message: str, file: str = "a.jsonl") -> Problem:
    return Problem(file, line, None, "error", message)


# --- parse_block ---------------------------------------------------------------------


def test_blank_lines_are_skipped_but_counted():
    items, used, lines = parse_block(b'{"a":1}\n\n  \t \n{"b":2}\n', "a.jsonl", 1, final=True)
    assert items == [Line("a.jsonl", 1, {"a": 1}), Line("a.jsonl", 4, {"b": 2})]
    assert (used, lines) == (22, 4)


def test_crlf_line_ends_are_accepted():
    items, used, lines = parse_block(b'{"a":1}\r\n{"b":"x"}\r\n', "a.jsonl", 1, final=True)
    assert items == [Line("a.jsonl", 1, {"a": 1}), Line("a.jsonl", 2, {"b": "x"})]
    assert (used, lines) == (20, 2)


def test_unterminated_last_line_is_held_back_unless_final():
    data = b'{"a":1}\n{"b":2}'
    assert parse_block(data, "a.jsonl", 1, final=False) == ([Line("a.jsonl", 1, {"a": 1})], 8, 1)
    assert parse_block(data, "a.jsonl", 1, final=True) == (
        [Line("a.jsonl", 1, {"a": 1}), Line("a.jsonl", 2, {"b": 2})],
        15,
        2,
    )


def test_unterminated_last_line_that_does_not_parse_is_a_problem_when_final():
    items, used, lines = parse_block(b'{"a":1}\n{"b":', "a.jsonl", 1, final=True)
    assert items[1] == error(2, "expected a JSON object, found invalid JSON: unexpected end of data at column 6")
    assert (used, lines) == (13, 2)


def test_held_back_partial_line_does_not_count_even_when_blank():
    assert parse_block(b'{"a":1}\n   ', "a.jsonl", 1, final=False) == ([Line("a.jsonl", 1, {"a": 1})], 8, 1)


def test_invalid_utf8_names_the_byte_and_column():
    items, _, _ = parse_block(b'{"name":"caf\xe9"}\n', "a.jsonl", 1, final=True)
    assert items == [error(1, "expected UTF-8 text, found invalid byte 0xe9 at column 13")]


def test_invalid_json_quotes_the_parser():
    items, _, _ = parse_block(b"{'a': 1}\n", "a.jsonl", 1, final=True)
    assert len(items) == 1
    assert items[0].message.startswith("expected a JSON object, found invalid JSON: ")
    assert (items[0].line, items[0].severity) == (1, "error")


@pytest.mark.parametrize(
    ("text", "found"),
    [(b"[1, 2]", "an array"), (b"42", "a number"), (b'"run"', "a string"), (b"true", "a boolean"), (b"null", "null")],
)
def test_json_that_is_not_an_object(text, found):
    items, _, _ = parse_block(text + b"\n", "a.jsonl", 3, final=True)
    assert items == [error(3, f"expected a JSON object, found {found}")]


def test_each_bad_line_costs_only_that_line():
    data = b'{"a":1}\n[1]\n\xff\n{bad\n7\n{"b":2}\n'
    items, used, lines = parse_block(data, "a.jsonl", 1, final=True)
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Line", 1),
        ("Problem", 2),
        ("Problem", 3),
        ("Problem", 4),
        ("Problem", 5),
        ("Line", 6),
    ]
    assert (used, lines) == (len(data), 6)


def test_numbering_starts_at_first_line():
    items, used, lines = parse_block(b'{"a":1}\n\n{"b":2}\n', "a.jsonl", 41, final=False)
    assert [i.line for i in items] == [41, 43]
    assert (used, lines) == (17, 3)


def test_byte_order_mark_on_the_first_line_is_ignored():
    items, _, _ = parse_block(b'\xef\xbb\xbf{"a":1}\n', "a.jsonl", 1, final=True)
    assert items == [Line("a.jsonl", 1, {"a": 1})]


# --- read_file -----------------------------------------------------------------------


def test_read_plain_file(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a":1}\n\n{"b":2}')
    cursor = Cursor()
    assert list(read_file(path, "a.jsonl", cursor)) == [Line("a.jsonl", 1, {"a": 1}), Line("a.jsonl", 3, {"b": 2})]
    assert cursor == Cursor(offset=16, line=3)


def test_read_gzip_file(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a":1}\n{"b":2}\n'))
    assert list(read_file(path, "a.jsonl.gz")) == [Line("a.jsonl.gz", 1, {"a": 1}), Line("a.jsonl.gz", 2, {"b": 2})]


def test_resume_reads_only_appended_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":')
    cursor = Cursor()
    assert list(read_file(path, "a.jsonl", cursor, final=False)) == [Line("a.jsonl", 1, {"a": 1})]
    assert cursor == Cursor(offset=8, line=1)  # the half-written line waits
    with path.open("ab") as f:
        f.write(b'2}\n\n{"c":3}\n')
    assert list(read_file(path, "a.jsonl", cursor, final=False)) == [
        Line("a.jsonl", 2, {"b": 2}),
        Line("a.jsonl", 4, {"c": 3}),
    ]
    assert cursor == Cursor(offset=25, line=4)
    assert list(read_file(path, "a.jsonl", cursor, final=False)) == []


def test_resume_gzip_skips_the_decompressed_bytes_already_read(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a":1}\n'))
    cursor = Cursor()
    assert len(list(read_file(path, "a.jsonl.gz", cursor))) == 1
    path.write_bytes(gzip.compress(b'{"a":1}\n{"b":2}\n'))
    assert list(read_file(path, "a.jsonl.gz", cursor)) == [Line("a.jsonl.gz", 2, {"b": 2})]
    assert cursor == Cursor(offset=16, line=2)


def test_small_blocks_and_long_lines_give_the_same_result(tmp_path):
    text = b'{"a":"' + b"x" * 100 + b'"}\r\n\n{"b":2}\n[3]\n{"c":4}'
    path = tmp_path / "a.jsonl"
    path.write_bytes(text)
    whole = list(read_file(path, "a.jsonl"))
    assert [i.line for i in whole] == [1, 3, 4, 5]
    for size in (1, 2, 7, 64):
        cursor = Cursor()
        assert list(read_file(path, "a.jsonl", cursor, block_size=size)) == whole
        assert cursor == Cursor(offset=len(text), line=5)


def test_dump_with_malformed_lines_loses_only_those_lines(tmp_path):
    lines = [
        b'{"type":"run","run_id":"r1","composer":"C","mode":"live","started_at":"2026-11-20T10:00:00Z"}',
        b'{"type":"step","run_id":"r1","entry_id":"e1","name":"A","status":"success"}',
        b'{"type":"step","run_id":"r1",',  # cut short
        b'{"type":"step","run_id":"r1","entry_id":"e2","name":"caf\xe9","status":"success"}',
        b'["type","step"]',
        b'{"type":"step","entry_id":"e3","name":"C","status":"success"}',  # no run_id
        b'{"type":"step","run_id":"r1","entry_id":"e4","name":"D","status":"error"}',
        b'{"type":"run_end","run_id":"r1","ended_at":"2026-11-20T10:00:09Z"}',
    ]
    path = tmp_path / "dump.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    records, problems = [], []
    for item in read_file(path, "dump.jsonl"):
        if isinstance(item, Problem):
            problems.append(item)
            continue
        record, found = check_record(item)
        problems.extend(found)
        if record is not None:
            records.append(record)
    assert [(r.line, type(r).__name__) for r in records] == [
        (1, "RunRecord"),
        (2, "StepRecord"),
        (7, "StepRecord"),
        (8, "RunEndRecord"),
    ]
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (3, "expected a JSON object, found invalid JSON"),
        (4, "expected UTF-8 text, found invalid byte 0xe9 at column 57"),
        (5, "expected a JSON object, found an array"),
        (6, "step record"),
    ]
    assert problems[3].message == 'step record: missing required field "run_id"'
    assert all(p.file == "dump.jsonl" for p in problems)


def test_missing_file_is_one_problem_not_an_exception(tmp_path):
    assert list(read_file(tmp_path / "gone.jsonl", "gone.jsonl")) == [
        Problem("gone.jsonl", 0, None, "error", "cannot read file: No such file or directory")
    ]


def test_corrupt_gzip_is_one_problem(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(b'{"a":1}\n')
    items = list(read_file(path, "a.jsonl.gz"))
    assert len(items) == 1
    assert (items[0].line, items[0].message) == (0, "cannot read file: not a gzip file (no gzip signature at its start)")


def test_truncated_gzip_while_watching_waits_for_the_rest(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    whole = gzip.compress(b'{"a":1}\n' * 50)
    path.write_bytes(whole[: len(whole) - 10])
    assert [i for i in read_file(path, "a.jsonl.gz", final=False) if isinstance(i, Problem)] == []
    assert isinstance(list(read_file(path, "a.jsonl.gz", final=True))[-1], Problem)


def _lines_and_problems(path):
    items = list(read_file(path, path.name))
    return [i for i in items if isinstance(i, Line)], [i for i in items if isinstance(i, Problem)]


def test_a_gzip_cut_short_gives_every_line_before_the_cut_and_one_problem(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    body = b"".join(b'{"n":%d,"pad":"%s"}\n' % (i, b"x" * (i % 50)) for i in range(3000))
    whole = gzip.compress(body)
    for cut in (6, 100, len(whole) // 10):
        path.write_bytes(whole[:-cut])
        lines, problems = _lines_and_problems(path)
        assert len(problems) == 1 and problems[0].line == 0
        assert "ends early" in problems[0].message and "the lines before were read" in problems[0].message
        assert [line.data["n"] for line in lines] == list(range(len(lines)))  # in order, intact
        assert len(lines) >= 3000 * 0.85 if cut != 6 else len(lines) >= 2999


def test_garbage_after_a_gzip_member_costs_nothing_before_it(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a":1}\n{"b":2}\n') + b"garbage")
    lines, problems = _lines_and_problems(path)
    assert [line.data for line in lines] == [{"a": 1}, {"b": 2}]
    assert len(problems) == 1 and "not gzip" in problems[0].message


def test_gzip_members_are_read_in_turn_and_zero_padding_is_ignored(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a":1}\n') + gzip.compress(b'{"b":2}\n') + b"\0" * 512)
    lines, problems = _lines_and_problems(path)
    assert [line.data for line in lines] == [{"a": 1}, {"b": 2}] and problems == []


# --- find_inputs ---------------------------------------------------------------------


def make(root, *names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")


def test_folders_are_read_recursively_for_log_suffixes_in_sorted_order(tmp_path, monkeypatch):
    make(tmp_path, "logs/b.jsonl", "logs/a.ndjson", "logs/z/c.jsonl.gz", "logs/m/d.jsonl", "logs/notes.txt", "logs/x.json")
    monkeypatch.chdir(tmp_path)
    assert [p.as_posix() for p in find_inputs(["logs"])] == [
        "logs/a.ndjson",
        "logs/b.jsonl",
        "logs/m/d.jsonl",
        "logs/z/c.jsonl.gz",
    ]


def test_files_are_read_in_sorted_path_order_whatever_the_argument_order(tmp_path, monkeypatch):
    make(tmp_path, "z.log", "dir/b.jsonl", "dir/a.jsonl", "a.txt")
    monkeypatch.chdir(tmp_path)
    # Files named explicitly are read whatever their suffix.
    expected = ["a.txt", "dir/a.jsonl", "dir/b.jsonl", "z.log"]
    assert [p.as_posix() for p in find_inputs(["z.log", "dir", "a.txt"])] == expected
    assert [p.as_posix() for p in find_inputs(["a.txt", "dir", "z.log"])] == expected


def test_duplicates_are_read_once(tmp_path, monkeypatch):
    make(tmp_path, "dir/a.jsonl", "dir/b.jsonl")
    monkeypatch.chdir(tmp_path)
    found = find_inputs(["dir/b.jsonl", "dir", "./dir/a.jsonl", os.path.abspath("dir")])
    assert [p.as_posix() for p in found] == ["dir/a.jsonl", "dir/b.jsonl"]


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="'nowhere.jsonl' does not exist"):
        find_inputs([tmp_path, "nowhere.jsonl"])


def test_empty_folder_gives_no_files(tmp_path):
    assert find_inputs([tmp_path]) == []


# --- never raises --------------------------------------------------------------------

# Bytes that are mostly lines of JSON-ish text, with stray bytes, CR, blanks and bad UTF-8.
pieces = st.sampled_from(
    [b"\n", b"\r\n", b"\r", b" ", b"{}", b'{"a":1}', b"[1]", b"1", b'"s"', b"{", b"}", b"\xff", b"\xc3", b"\xa9", b"\xef\xbb\xbf", b"null"]
)
blobs = st.one_of(st.binary(max_size=200), st.lists(pieces, max_size=30).map(b"".join))


def expected_counts(data: bytes, final: bool) -> tuple[int, int]:
    """(lines consumed, non-blank lines among them), counted independently of parse_block."""
    lines = data.split(b"\n")
    tail = lines.pop()
    if final and tail:
        lines.append(tail)
    if lines:
        lines[0] = lines[0].removeprefix(b"\xef\xbb\xbf")  # a byte order mark is not content
    non_blank = [line for line in lines if line.strip(b" \t\r")]
    return len(lines), len(non_blank)


@settings(max_examples=400, deadline=None)
@given(blobs, st.booleans())
def test_parse_block_accounts_for_every_line(data, final):
    items, used, lines = parse_block(data, "a.jsonl", 1, final=final)
    expected_lines, expected_items = expected_counts(data, final)
    assert lines == expected_lines
    assert len(items) == expected_items  # each non-blank line: one Line or exactly one Problem
    assert all(isinstance(i, (Line, Problem)) for i in items)
    assert [i.line for i in items] == sorted({i.line for i in items})
    assert used == (len(data) if final else len(data) - len(data.split(b"\n")[-1]))


def _nested(levels: int) -> bytes:
    """A record `levels` deep (the record itself is level 1)."""
    inner = "1"
    for _ in range(levels - 1):
        inner = '{"l":' + inner + "}"
    return ('{"type":"step","v":' + inner + "}").encode()


def test_a_record_nested_deeper_than_the_limit_is_a_bad_line():
    from runreport.read import MAX_DEPTH

    items, _, _ = parse_block(_nested(MAX_DEPTH) + b"\n" + _nested(MAX_DEPTH + 1) + b"\n", "a.jsonl", 1,
                              final=True)
    assert isinstance(items[0], Line)
    assert items[1] == error(2, f"expected a JSON object nested at most {MAX_DEPTH} levels deep, "
                                "found one nested deeper; line skipped")
