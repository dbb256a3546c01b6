"""Capping tool output: keep the head and the tail, say what was cut in between."""

from __future__ import annotations

DEFAULT_MAX_CHARS = 20_000


def cap(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Return `text` if it fits, else its head and tail joined by a marker naming what was cut.

    The cut falls on line boundaries where it can, so the model never sees half a line
    glued to the marker. The head gets about two thirds of the room: the start of an
    output (the command, the first error) usually matters more than the middle.
    """
    if len(text) <= max_chars:
        return text
    room = max(max_chars - 120, 40)
    head_len, tail_len = room * 2 // 3, room - room * 2 // 3
    head = text[:head_len]
    tail = text[len(text) - tail_len :]
    if "\n" in head[head_len // 2 :]:
        head = head[: head.rindex("\n") + 1]
    if "\n" in tail[: tail_len // 2]:
        tail = tail[tail.index("\n") + 1 :]
    cut = text[len(head) : len(text) - len(tail)]
    marker = (
        f"[... {len(cut)} characters ({cut.count(chr(10))} lines) cut from the middle;"
        " narrow the request to see them ...]\n"
    )
    if not head.endswith("\n"):
        marker = "\n" + marker
    return head + marker + tail


def numbered(lines: list[str], first: int) -> str:
    """`lines` prefixed with their numbers from `first`, as `12<TAB>text`; an empty line
    stays empty (the next number says where it was).

    Unpadded: a tab already aligns the text on a terminal, and every line is sent to the
    model in every later request, so the padding was paid for many times over.
    """
    return "\n".join(f"{first + i}\t{line}" if line else "" for i, line in enumerate(lines))
