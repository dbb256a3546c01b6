"""The pre-commit hook in a real repository under the real pre-commit framework, real commits,
real sandboxed pytest; the model (where one is used) is scripted behind a bridge folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from agent.models.exchange import request_path, response_path, response_to_json, write_json_atomic
from tests.session_snapshot import answered, from_bridge
from tests.solve_kit import CALC, QUIET, edit, finish, git, plan, turn
from tests.solve_kit import make_repo as make_kit_repo

BROKEN_ADD = ("    return a + b\n", "    return a - b\n")
MUL = "\n\ndef mul(a, b):\n    return a * b\n"
HOOK = """\
  - id: {id}
    name: {id}
    entry: {python} -P -m agent hook {args}
    language: system
    types: [{types}]
    require_serial: true
    verbose: true
"""


def make_repo(root: Path, files: dict[str, str] | None = None) -> Path:
    """The calc repository of tests/solve_kit.py with this module's settings."""
    return make_kit_repo(root, QUIET, files)


def configure(repo: Path, *hooks: tuple[str, str, str]) -> None:
    """Commit a .pre-commit-config.yaml with local hooks (id, args, types) and install it."""
    body = "".join(HOOK.format(id=i, python=sys.executable, args=a, types=t) for i, a, t in hooks)
    (repo / ".pre-commit-config.yaml").write_text(f"repos:\n- repo: local\n  hooks:\n{body}")
    git(repo, "add", ".pre-commit-config.yaml")
    commit(repo, "hook config", check=True)
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo,
        env=environment(repo),
        check=True,
        capture_output=True,
    )


def environment(repo: Path, **extra: str) -> dict[str, str]:
    """The person's environment: no API keys, pre-commit's cache in the test's folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SKIP", "PRE_COMMIT")
    }
    env["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-home")
    env.update(extra)
    return env


def commit(repo: Path, message: str, check: bool = False, **extra: str):
    """`git commit` as a person runs it (hooks included); returns the finished process."""
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-m", message],
        cwd=repo,
        env=environment(repo, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stdout
    return done


def agent(repo: Path, *argv: str, **extra: str):
    """`python -m agent ARGV` in the repository."""
    return subprocess.run(
        [sys.executable, "-P", "-m", "agent", *argv],
        cwd=repo,
        env=environment(repo, **extra),
        capture_output=True,
        text=True,
        check=False,
    )


def stage(repo: Path, path: str, old: str, new: str) -> None:
    """Change a file and `git add` it."""
    text = (repo / path).read_text()
    assert old in text
    (repo / path).write_text(text.replace(old, new))
    git(repo, "add", path)


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


class BridgeAnswers:
    """Answers a bridge folder's requests in order with scripted model responses."""

    def __init__(self, folder: Path, answers: list) -> None:
        self.folder, self.answers, self.requests = folder, answers, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        folder.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> BridgeAnswers:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _serve(self) -> None:
        number = 1
        while not self._stop.is_set() and number <= len(self.answers):
            asked = request_path(self.folder, number)
            if not asked.exists():
                time.sleep(0.05)
                continue
            self.requests.append(json.loads(asked.read_text()))
            write_json_atomic(
                response_path(self.folder, number), response_to_json(self.answers[number - 1])
            )
            number += 1


def test_a_clean_commit_passes_running_only_the_affected_tests(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        files={
            "other.py": "def twice(x):\n    return 2 * x\n",
            "tests/test_other.py": "from other import twice\n\n\ndef test_twice():\n"
            "    assert twice(2) == 5\n",
        },
    )  # broken, but not affected
    configure(repo, ("agent-check", "check", "python"))
    stage(repo, "calc.py", '    """Sum of two numbers."""\n', '    """The sum of a and b."""\n')
    done = commit(repo, "docstring", check=True)
    assert "agent-check: 2 passed in 1 test file(s) the staged change affects" in done.stdout


def test_a_breaking_change_is_refused_naming_the_test_and_the_verdict_is_cached(tmp_path):
    slow = "import time\n\nfrom calc import add\n\n\ndef test_slowly():\n    time.sleep(2)\n"
    repo = make_repo(tmp_path / "r", {"tests/test_slow.py": slow})  # affected: imports add
    configure(repo, ("agent-check", "check", "python"))
    before = head(repo)
    stage(repo, "calc.py", *BROKEN_ADD)
    started = time.monotonic()
    first = commit(repo, "break add")
    first_s = time.monotonic() - started
    assert first.returncode != 0 and head(repo) == before
    assert (
        "tests/test_calc.py:5: FAILED tests/test_calc.py::test_add: assert -1 == 5" in first.stdout
    )
    started = time.monotonic()
    second = commit(repo, "break add")
    second_s = time.monotonic() - started
    assert second.returncode != 0 and head(repo) == before
    assert "agent-check: cache hit: same staged content" in second.stdout
    assert "tests/test_calc.py::test_add" in second.stdout
    assert second_s < first_s / 2, (first_s, second_s)


def test_unstaged_changes_are_not_seen_with_or_without_the_framework(tmp_path):
    repo = make_repo(tmp_path / "r")
    configure(repo, ("agent-check", "check", "python"))
    stage(repo, "calc.py", *BROKEN_ADD)
    (repo / "calc.py").write_text((repo / "calc.py").read_text().replace(*reversed(BROKEN_ADD)))
    refused = commit(repo, "broken staged, fixed unstaged")
    assert refused.returncode != 0 and "test_add" in refused.stdout
    # Without the framework the staged content is exported and tested; the tree is not.
    by_hand = agent(repo, "hook", "check", "--no-cache")
    assert by_hand.returncode == 1 and "FAILED tests/test_calc.py::test_add" in by_hand.stdout
    good = CALC.replace('"""Sum of two numbers."""', '"""The sum."""')
    (repo / "calc.py").write_text(good)
    git(repo, "add", "calc.py")  # now a good change is staged...
    (repo / "calc.py").write_text(good.replace(*BROKEN_ADD))  # ...and a broken one is not
    assert agent(repo, "hook", "check", "--no-cache", "calc.py").returncode == 0
    commit(repo, "good staged, broken unstaged", check=True)
    assert "return a - b" in (repo / "calc.py").read_text()  # left as the person had it


def test_fix_writes_a_fix_unstaged_and_the_commit_fails_until_it_is_staged(tmp_path):
    repo = make_repo(tmp_path / "r")
    bridge = tmp_path / "bridge"
    configure(repo, ("agent-check", f"check --fix --model bridge:{bridge}", "python"))
    (repo / "calc.py").write_text(CALC.replace(*BROKEN_ADD) + MUL)  # a new function, a slip
    git(repo, "add", "calc.py")
    answers = [
        plan(reading="add() must return the sum again"),
        edit("assert add(2, 3) == 5", "assert add(2, 3) == -1", "tests/test_calc.py"),
        edit(BROKEN_ADD[1], BROKEN_ADD[0]),
        finish("add() sums again"),
    ]
    with BridgeAnswers(bridge, answers) as model:
        refused = commit(repo, "break add")
    assert refused.returncode != 0, refused.stdout
    assert "agent-check: a fix is in the working tree, not staged: calc.py" in refused.stdout
    assert "return a + b" in (repo / "calc.py").read_text()  # the fix, in the working tree
    assert "return a - b" in git(repo, "show", ":calc.py")  # the index untouched: no git add
    refusal = [r for name, r in answered(from_bridge(model.requests)) if name == "edit_file"][0]
    assert refusal.is_error and "tests/test_calc.py is not part of the change" in refusal.content
    assert "assert add(2, 3) == 5" in (repo / "tests/test_calc.py").read_text()
    again = commit(repo, "break add")  # not re-staged: the same content, still refused
    assert again.returncode != 0 and "cache hit" in again.stdout
    git(repo, "add", "calc.py")
    commit(repo, "mul, and add reviewed", check=True)
    assert git(repo, "show", "HEAD:calc.py") == CALC + MUL


def test_without_a_key_review_and_fix_skip_with_one_line_unless_strict(tmp_path):
    repo = make_repo(tmp_path / "r")
    configure(repo, ("agent-review", "review", "text"))
    stage(repo, "calc.py", '    """Sum of two numbers."""\n', '    """The sum."""\n')
    done = commit(repo, "docstring", check=True)
    skipped = [line for line in done.stdout.splitlines() if line.startswith("agent-review:")]
    assert skipped == [
        "agent-review: skipped: ANTHROPIC_API_KEY is not set for "
        "anthropic:claude-sonnet-5-5 (set it, or choose a model with --model)"
    ]
    stage(repo, "calc.py", *BROKEN_ADD)
    strict = agent(repo, "hook", "review", "--strict")
    assert strict.returncode == 1 and "ANTHROPIC_API_KEY is not set" in strict.stdout
    fix = agent(repo, "hook", "check", "--fix")
    assert fix.returncode == 1 and "agent-check: --fix skipped: ANTHROPIC_API_KEY" in fix.stdout
    assert "return a - b" in (repo / "calc.py").read_text()


def test_review_reports_defects_fails_at_the_threshold_and_is_cached(tmp_path):
    repo = make_repo(tmp_path / "r")
    stage(repo, "calc.py", *BROKEN_ADD)
    bridge = tmp_path / "bridge"
    answer = (
        '{"file": "calc.py", "line": 3, "severity": "medium", "message": "subtracts '
        'instead of adding"}\nnot a finding\n'
        '{"file": "calc.py", "line": 9, "severity": "low", "message": "unclear bound"}'
    )
    with BridgeAnswers(bridge, [turn(answer)]) as model:
        done = agent(repo, "hook", "review", "--model", f"bridge:{bridge}")
    assert done.returncode == 0, done.stdout + done.stderr  # nothing at the default: high
    assert "calc.py:3: medium: subtracts instead of adding" in done.stdout
    assert "calc.py:9: low: unclear bound" in done.stdout
    sent = model.requests[0]["messages"][0]["content"][0]["text"]
    assert "-    return a + b\n+    return a - b" in sent and model.requests[0]["tools"] == []
    stricter = agent(repo, "hook", "review", "--model", f"bridge:{bridge}", "--fail-on", "medium")
    assert stricter.returncode == 1 and "cache hit" in stricter.stdout
    assert len(list(bridge.glob("*.request.json"))) == 1  # no second model call
    assert agent(repo, "hook", "review", "--fail-on", "severe").returncode == 2


def test_the_plain_git_hook_tests_the_staged_content_and_honours_skip(tmp_path):
    repo = make_repo(tmp_path / "r")
    installed = agent(repo, "hook", "install")
    assert installed.returncode == 0 and "pre-commit" in installed.stdout
    before = head(repo)
    stage(repo, "calc.py", *BROKEN_ADD)
    refused = commit(repo, "break add")
    assert refused.returncode != 0 and head(repo) == before
    assert "FAILED tests/test_calc.py::test_add" in refused.stdout
    skipped = commit(repo, "break add anyway", SKIP="agent-check")
    assert skipped.returncode == 0 and "skipped (SKIP names agent-check)" in skipped.stdout
    assert head(repo) != before


def test_pushed_commits_are_checked_at_pre_push_and_a_slow_suite_hits_the_hard_timeout(tmp_path):
    slow = (
        "import time\n\nfrom calc import add\n\n\ndef test_slowly():\n"
        "    if add(2, 2) == 4:\n        time.sleep(30)\n"
    )
    repo = make_repo(tmp_path / "r", {"tests/test_slow.py": slow})
    base = head(repo)
    stage(repo, "calc.py", *BROKEN_ADD)
    git(
        repo,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@localhost",
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "break add",
    )
    git(repo, "checkout", "-q", base, "--", "calc.py")  # staged: add() as it was
    pushed = agent(
        repo, "hook", "check", PRE_COMMIT="1", PRE_COMMIT_FROM_REF=base, PRE_COMMIT_TO_REF="HEAD"
    )
    assert pushed.returncode == 1 and "FAILED tests/test_calc.py::test_add" in pushed.stdout
    started = time.monotonic()
    staged = agent(repo, "hook", "check", "--timeout", "3")
    assert time.monotonic() - started < 20
    assert staged.returncode == 1
    assert "agent-check: the tests did not finish within 3s (--timeout)" in staged.stdout


def test_a_change_no_test_maps_to_runs_the_whole_suite_only_while_it_is_fast(tmp_path):
    repo = make_repo(tmp_path / "r")
    (repo / "tools").mkdir()
    (repo / "tools/release.py").write_text("print('release')\n")
    git(repo, "add", "tools/release.py")
    first = agent(repo, "hook", "check")
    assert first.returncode == 0
    assert "passed in the whole suite (no test maps to the staged files)" in first.stdout
    assert json.loads((repo / ".agent/hook/suite.json").read_text())["seconds"] > 0
    slow = agent(repo, "hook", "check", "--suite-limit", "0.001")
    assert (
        slow.returncode == 0 and "none ran" in slow.stdout and "the whole suite took" in slow.stdout
    )


def test_review_at_pre_push_sees_the_pushed_commits_through_the_framework(tmp_path):
    repo = make_repo(tmp_path / "r")
    configure(repo, ("agent-review", f"review --model bridge:{tmp_path / 'bridge'}", "text"))
    config = repo / ".pre-commit-config.yaml"
    config.write_text(config.read_text() + "    stages: [pre-push]\n")
    git(repo, "add", ".pre-commit-config.yaml")
    commit(repo, "review at push", check=True)
    base = head(repo)
    stage(repo, "calc.py", *BROKEN_ADD)
    commit(repo, "break add", check=True)  # the review does not run at commit time
    assert not (tmp_path / "bridge").exists()
    finding = '{"file": "calc.py", "line": 3, "severity": "high", "message": "subtracts"}'
    with BridgeAnswers(tmp_path / "bridge", [turn(finding)]) as model:
        pushed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "run",
                "--hook-stage",
                "pre-push",
                "--from-ref",
                base,
                "--to-ref",
                "HEAD",
            ],
            cwd=repo,
            env=environment(repo),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    assert pushed.returncode == 1 and "calc.py:3: high: subtracts" in pushed.stdout
    prompt = model.requests[0]["messages"][0]["content"][0]["text"]
    assert "before it is pushed" in " ".join(prompt.split())  # however the prompt wraps
    assert "+    return a - b" in prompt
