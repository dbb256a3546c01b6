"""The repository index: tree-sitter definitions and references, cached in SQLite, and a
ranked, token-capped map of the repository.

    with RepoIndex.open(Path(".")) as index:
        index.definitions("Session.perform_collect")
        print(index.repo_map(focus=["src/_pytest/main.py"], tokens=900))
"""

from agent.index.model import Reference, Symbol
from agent.index.repo import RepoIndex

__all__ = ["Reference", "RepoIndex", "Symbol"]
