"""Turn what a task mentions (paths, identifiers, plain words) into a ranking focus."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MIN_WORD = 3
TASK_WORD = re.compile(r"[A-Za-z_][\w./-]*[\w]")
STOPWORDS = frozenset(
    "the and for with that this from when should into does not but are was were have has "
    "its it's can cannot will would make makes made use uses using what which there their "
    "them then than also only just like about after before while where every each some any "
    "all returns return value values wrong instead fix bug error test tests".split()
)


def focus_terms(task: str) -> list[str]:
    """Paths, identifiers and distinctive words from the task, for ranking the repo map."""
    terms = []
    for word in TASK_WORD.findall(task):
        if len(word) >= _MIN_WORD and word.lower() not in STOPWORDS:
            terms.append(word.rstrip("."))
    return list(dict.fromkeys(terms))


def resolve_focus(
    items: Iterable[str], paths: Sequence[str], defined: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """(focus paths, focus names): an item naming a file, a directory or a path suffix
    selects files; otherwise each identifier in it that matches a defined name (exactly,
    or ignoring case for words of 3+ letters) selects that name."""
    known = set(paths)
    names = set(defined)
    by_lower: dict[str, list[str]] | None = None
    focus_paths: set[str] = set()
    focus_names: set[str] = set()
    for item in items:
        hits = _paths_for(item, paths, known)
        if hits:
            focus_paths.update(hits)
            continue
        for word in _WORD.findall(item):
            if word in names:
                focus_names.add(word)
            elif len(word) >= _MIN_WORD:
                if by_lower is None:
                    by_lower = {}
                    for name in sorted(names):
                        by_lower.setdefault(name.lower(), []).append(name)
                focus_names.update(by_lower.get(word.lower(), ()))
    return frozenset(focus_paths), frozenset(focus_names)


def _paths_for(item: str, paths: Sequence[str], known: set[str]) -> list[str]:
    clean = item.strip().replace("\\", "/").removeprefix("./").rstrip("/")
    if not clean:
        return []
    if clean in known:
        return [clean]
    prefix = clean + "/"
    under = [path for path in paths if path.startswith(prefix)]
    if under:
        return under
    if "/" in clean or re.search(r"\.[A-Za-z0-9]+$", clean):
        return [path for path in paths if path.endswith("/" + clean)]
    return []
