"""Render ranked definitions as a repository map that never exceeds a token budget.

Tokens are estimated, not counted (no tokenizer ships offline): see `estimate_tokens`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from agent.index.model import Symbol

# Calibration, in UTF-8 bytes per token. Measured on 12 rendered maps (pytest 8.3.4 and
# django 5.1.4, budgets 256-8192, with and without a focus) and on 1.2 MB of their source,
# counting with tiktoken's cl100k_base and o200k_base and with the Claude tokenizer file
# that litellm bundles (all offline, in a separate venv; none is a dependency here):
#                    maps (min .. max)     plain source
#   cl100k_base      3.00 .. 3.41          4.67
#   o200k_base       3.23 .. 3.69          4.64
#   Claude (bundled) 2.60 .. 2.86          4.27
# Maps tokenize worse than source (short lines, "⋮", indentation). Claude 5 models use a
# new tokenizer that Anthropic says gives about 30% more tokens for the same text (not
# available offline to measure): 2.60 / 1.3 = 2.0 bytes per token at worst, so we divide
# by 2.0. The estimate then runs about 30-70% above the counts measured above, and the
# budget stays a cap for the default model's tokenizer too.
BYTES_PER_TOKEN = 2.0


def estimate_tokens(text: str) -> int:
    """A conservative estimate of how many tokens `text` costs a model."""
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def render(selected: Sequence[Symbol], by_path: dict[str, list[Symbol]]) -> str:
    """The map text for `selected` definitions: grouped by file (in path order), each with
    its signature and the header lines of the definitions enclosing it, every line numbered
    (`57│def f(x):`) so the model can read around it without searching first. The numbers
    say where lines are left out, so no line marks it."""
    chosen: dict[str, dict[int, Symbol]] = {}
    for symbol in selected:
        lines = chosen.setdefault(symbol.path, {})
        lines[symbol.line] = symbol
        for outer in _enclosing(symbol, by_path.get(symbol.path, ())):
            lines[outer.line] = outer
    out: list[str] = []
    for path in sorted(chosen):
        out.append(f"{path}:")
        width = len(str(max(chosen[path])))
        for line in sorted(chosen[path]):
            signature = chosen[path][line].signature.split("\n")
            out.extend(f"{line + offset:>{width}}│{text}" for offset, text in enumerate(signature))
    return "\n".join(out) + "\n" if out else ""


def _enclosing(symbol: Symbol, siblings: Sequence[Symbol]) -> list[Symbol]:
    """The definitions whose bodies hold `symbol` (by scope name and line span)."""
    if not symbol.scope:
        return []
    parts = symbol.scope.split(".")
    wanted = {".".join(parts[:depth]) for depth in range(1, len(parts) + 1)}
    return [
        other
        for other in siblings
        if other.line < symbol.line <= other.end_line and other.qualified_name in wanted
    ]


def fit(
    ordered: Sequence[Symbol], by_path: dict[str, list[Symbol]], tokens: int
) -> tuple[str, int]:
    """The map of the longest prefix of `ordered` whose estimate is within `tokens`, and
    that prefix's length. Adding a definition (almost) never shortens the text, so bisect;
    whatever is returned was measured, so the cap holds either way."""
    low, high = 0, len(ordered)
    best = ""
    while low < high:
        middle = (low + high + 1) // 2
        text = render(ordered[:middle], by_path)
        if estimate_tokens(text) <= tokens:
            low, best = middle, text
        else:
            high = middle - 1
    return best, low
