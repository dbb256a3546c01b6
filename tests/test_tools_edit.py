"""edit_file on real files: exact and whitespace-tolerant matches, refusals, endings and modes."""

from __future__ import annotations

import os

from tests.test_tools_helpers import call, make_ctx, make_repo

MODULE = """def total(items):
    result = 0
    for item in items:
        result += item
    return result


def mean(items):
    return total(items) / len(items)
"""


def test_exact_unique_match_is_replaced_and_shown(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"calc.py": MODULE}))
    result = call(
        ctx,
        "edit_file",
        path="calc.py",
        old="        result += item\n",
        new="        if item is not None:\n            result += item\n",
    )
    assert not result.is_error
    assert result.content.startswith("Edited calc.py.\n")
    assert "\n4\t        if item is not None:" in result.content
    assert (
        "if item is not None:\n            result += item\n    return result"
        in (tmp_path / "calc.py").read_text()
    )
    assert ctx.changed_files == ["calc.py"]


def test_no_match_shows_the_closest_lines(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"calc.py": MODULE}))
    result = call(
        ctx,
        "edit_file",
        path="calc.py",
        old="    return totl(items) / len(item)",
        new="    return 0",
    )
    assert result.is_error
    assert "old was not found in calc.py" in result.content
    assert "The closest lines" in result.content
    assert "\n9\t    return total(items) / len(items)" in result.content
    assert (tmp_path / "calc.py").read_text() == MODULE


def test_multiple_matches_say_how_many_and_where(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"calc.py": MODULE}))
    result = call(ctx, "edit_file", path="calc.py", old="(items)", new="(values)")
    assert result.is_error
    assert "old occurs 4 times in calc.py (at lines 1, 8, 9)" in result.content
    assert (tmp_path / "calc.py").read_text() == MODULE


def test_whitespace_tolerant_fallback_reindents_the_replacement(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"calc.py": MODULE}))
    # The model lost the indentation and added trailing spaces.
    result = call(
        ctx,
        "edit_file",
        path="calc.py",
        old="for item in items:  \n    result += item\n",
        new="for item in items:\n    result += item * 2\n",
    )
    assert not result.is_error, result.content
    assert "matched ignoring indentation" in result.content
    assert (
        "    for item in items:\n        result += item * 2\n    return result"
        in (tmp_path / "calc.py").read_text()
    )


def test_whitespace_fallback_refuses_ambiguous_matches(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"a.py": "if a:\n    x = 1\nif b:\n        x = 1\n"}))
    result = call(ctx, "edit_file", path="a.py", old="x = 1 \n", new="x = 2\n")
    assert (
        result.is_error and "matches 2 places" in result.content and "lines 2, 4" in result.content
    )


def test_edit_that_breaks_syntax_is_refused_and_file_untouched(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"calc.py": MODULE}))
    before = (tmp_path / "calc.py").read_bytes()
    result = call(
        ctx,
        "edit_file",
        path="calc.py",
        old="    return total(items) / len(items)",
        new="    return total(items / len(items)",
    )
    assert result.is_error
    assert "edit refused, calc.py is unchanged" in result.content
    assert "python syntax error" in result.content and "line 9" in result.content
    assert (tmp_path / "calc.py").read_bytes() == before
    assert ctx.changed_files == []


def test_existing_syntax_errors_do_not_block_unrelated_edits(tmp_path):
    broken = "def f(:\n    pass\n\nNAME = 'old'\n"
    ctx = make_ctx(make_repo(tmp_path, {"b.py": broken}))
    result = call(ctx, "edit_file", path="b.py", old="'old'", new="'new'")
    assert not result.is_error, result.content
    assert (tmp_path / "b.py").read_text() == broken.replace("'old'", "'new'")


def test_crlf_endings_mode_and_odd_bytes_are_kept(tmp_path):
    source = b"#!/bin/sh\r\necho caf\xe9\r\necho one\r\necho two\r\n"
    root = make_repo(tmp_path, {"run.sh": source})
    os.chmod(root / "run.sh", 0o755)
    ctx = make_ctx(root)
    result = call(
        ctx,
        "edit_file",
        path="run.sh",
        old="echo one\necho two\n",
        new="echo one\necho 1.5\necho two\n",
    )
    assert not result.is_error, result.content
    assert (root / "run.sh").read_bytes() == (
        b"#!/bin/sh\r\necho caf\xe9\r\necho one\r\necho 1.5\r\necho two\r\n"
    )
    assert (root / "run.sh").stat().st_mode & 0o777 == 0o755
    leftovers = [p.name for p in root.iterdir() if p.name.endswith(".agent-tmp")]
    assert leftovers == []


def test_edit_refusals_for_missing_binary_and_empty_old(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"img.bin": b"\0\1\2", "a.py": "x = 1\n"}))
    assert (
        "does not exist; use create_file"
        in call(ctx, "edit_file", path="nope.py", old="a", new="b").content
    )
    assert "binary file" in call(ctx, "edit_file", path="img.bin", old="a", new="b").content
    assert "old is empty" in call(ctx, "edit_file", path="a.py", old="", new="b").content
    assert "identical" in call(ctx, "edit_file", path="a.py", old="x", new="x").content
