"""read_file, list_files, create_file, delete_file and the workspace path rules, on real repos."""

from __future__ import annotations

import os

from tests.test_tools_helpers import call, make_ctx, make_repo, write

LONG_MODULE = (
    "".join(f"def function_{i}(x):\n    return x + {i}\n\n\n" for i in range(80))
    + "class Holder:\n    def method(self):\n        return 1\n"
)


def test_read_file_shows_numbered_lines_and_ranges(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"a.txt": "".join(f"row {i}\n" for i in range(1, 11))}))
    whole = call(ctx, "read_file", path="a.txt")
    assert not whole.is_error
    assert whole.content.splitlines()[0] == "10 lines"  # the call names the path
    assert "\n1\trow 1\n" in whole.content and "\n10\trow 10" in whole.content
    part = call(ctx, "read_file", path="a.txt", start=4, end=5).content
    assert part.splitlines() == [
        "lines 4-5 of 10",
        "4\trow 4",
        "5\trow 5",
        "[lines 6-10 not shown; call read_file with start=6 to see more]",
    ]
    past = call(ctx, "read_file", path="a.txt", start=50)
    assert past.is_error and "past the end of a.txt (10 lines)" in past.content


def test_read_file_over_the_window_shows_the_outline_first(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"pkg/mod.py": LONG_MODULE}))
    text = call(ctx, "read_file", path="pkg/mod.py").content
    assert text.startswith("lines 1-200 of 323")
    outline_at = text.index("Outline")
    assert "1-2: def function_0(x):" in text
    assert "321-323: class Holder:" in text and "  322-323: def method(self):" in text
    assert outline_at < text.index("\n1\tdef function_0(x):")
    assert text.endswith("[lines 201-323 not shown; call read_file with start=201 to see more]")
    ranged = call(ctx, "read_file", path="pkg/mod.py", start=201).content
    assert "Outline" not in ranged and "\n201\t" in ranged


def test_binary_non_utf8_huge_and_missing_files(tmp_path):
    huge = "".join(f"line number {i}\n" for i in range(300_000))
    ctx = make_ctx(
        make_repo(
            tmp_path,
            {
                "logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)),
                "latin.txt": "caf\xe9 cr\xe8me\n".encode("latin-1"),
                "big.log": huge,
                "wide.txt": "x" * 5000 + "\n",
            },
        )
    )
    binary = call(ctx, "read_file", path="logo.png")
    assert not binary.is_error and binary.content.startswith("logo.png is a binary file (")
    latin = call(ctx, "read_file", path="latin.txt").content
    assert "not valid UTF-8" in latin and "caf\ufffd cr\ufffdme" in latin
    big = call(ctx, "read_file", path="big.log", start=299_999, end=300_000).content
    assert "lines 299999-300000 of 300000" in big and "line number 299999" in big
    wide = call(ctx, "read_file", path="wide.txt").content
    assert "x" * 1000 + " [... 4000 bytes cut]" in wide
    missing = call(ctx, "read_file", path="latn.txt")
    assert missing.is_error and "did you mean latin.txt?" in missing.content
    folder = call(ctx, "read_file", path=".")
    assert folder.is_error and "is a directory" in folder.content


def test_list_files_is_gitignore_aware_and_capped(tmp_path):
    root = make_repo(
        tmp_path,
        {
            ".gitignore": "build/\n*.log\n",
            "src/a.py": "",
            "src/b.py": "",
            "docs/index.md": "",
            "notes.log": "",
        },
    )
    write(root, {"src/new.py": "", "build/out.py": ""})
    ctx = make_ctx(root)
    listing = call(ctx, "list_files").content.splitlines()
    assert listing[0] == "5 files"
    assert set(listing[1:]) == {".gitignore", "docs/index.md", "src/a.py", "src/b.py", "src/new.py"}
    assert call(ctx, "list_files", glob="*.py").content.splitlines()[1:] == [
        "src/a.py",
        "src/b.py",
        "src/new.py",
    ]
    assert call(ctx, "list_files", dir="docs").content == "1 files\ndocs/index.md"
    capped = call(ctx, "list_files", limit=2).content
    assert capped.endswith("[... 3 more files not shown; narrow with dir or glob]")
    assert call(ctx, "list_files", dir="nowhere").is_error


def test_create_file_makes_directories_and_refuses_to_overwrite(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"keep.py": "x = 1\n"}))
    made = call(ctx, "create_file", path="pkg/sub/new.py", content="def f():\n    return 1\n")
    assert made.content == "Created pkg/sub/new.py (2 lines)."
    assert (tmp_path / "pkg/sub/new.py").read_text() == "def f():\n    return 1\n"
    assert oct((tmp_path / "pkg/sub/new.py").stat().st_mode & 0o777) == oct(0o644)
    again = call(ctx, "create_file", path="keep.py", content="y = 2\n")
    assert again.is_error and "already exists" in again.content
    assert (tmp_path / "keep.py").read_text() == "x = 1\n"
    forced = call(ctx, "create_file", path="keep.py", content="y = 2\n", overwrite=True)
    assert forced.content.startswith("Overwrote keep.py")
    broken = call(ctx, "create_file", path="bad.py", content="def f(:\n    pass\n")
    assert broken.is_error and "syntax error" in broken.content and "line 1" in broken.content
    assert not (tmp_path / "bad.py").exists()
    assert ctx.take_changed_files() == ["pkg/sub/new.py", "keep.py"]


def test_delete_file_removes_files_and_links_only(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.txt": "a\n", "dir/b.txt": "b\n"})
    os.symlink(root / "a.txt", root / "link.txt")
    ctx = make_ctx(root)
    assert call(ctx, "delete_file", path="link.txt").content == "Deleted link.txt."
    assert (root / "a.txt").exists() and not (root / "link.txt").exists()
    assert call(ctx, "delete_file", path="a.txt").content == "Deleted a.txt."
    assert not (root / "a.txt").exists()
    assert "is a directory" in call(ctx, "delete_file", path="dir").content
    assert "does not exist" in call(ctx, "delete_file", path="a.txt").content
    assert ctx.changed_files == ["link.txt", "a.txt"]


def test_paths_that_leave_the_workspace_are_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret\n")
    root = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    os.symlink(outside / "secret.txt", root / "escape.txt")
    os.symlink(outside, root / "out_dir")
    ctx = make_ctx(root)
    climb = call(ctx, "read_file", path="../outside/secret.txt")
    assert climb.is_error and "outside the workspace" in climb.content
    absolute = call(ctx, "read_file", path=str(outside / "secret.txt"))
    assert absolute.is_error and "an absolute path outside the workspace" in absolute.content
    link = call(ctx, "read_file", path="escape.txt")
    assert link.is_error and "symlink that leads outside" in link.content
    through = call(ctx, "create_file", path="out_dir/new.txt", content="x")
    assert through.is_error and "symlink" in through.content
    assert not (outside / "new.txt").exists()
    git_dir = call(ctx, "create_file", path=".git/hooks/pre-commit", content="echo")
    assert git_dir.is_error and "inside .git" in git_dir.content
    inside = call(ctx, "read_file", path=str(root / "a.txt"))
    assert not inside.is_error and "1\ta" in inside.content
    sneaky = call(ctx, "read_file", path="sub/../a.txt")
    assert not sneaky.is_error


def test_read_file_without_an_index_still_shows_the_file(tmp_path):
    (tmp_path / "mod.py").write_text(LONG_MODULE)  # not a git repository: no index
    ctx = make_ctx(tmp_path)
    result = call(ctx, "read_file", path="mod.py")
    assert not result.is_error, result.content
    assert result.content.startswith("lines 1-200 of 323\n1\tdef function_0(x):")
    assert "Outline" not in result.content
    assert "contains a NUL" in call(ctx, "read_file", path="a\0b").content
