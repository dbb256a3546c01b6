"""Output capture with a byte cap: keep the head and the tail, count what was cut between."""

from __future__ import annotations


class CappedBuffer:
    """Collects a stream's bytes, holding at most about `cap` of them.

    The first half of the cap is kept as the head; after that only the most recent half is
    kept as the tail, so memory stays bounded however much the command prints.
    """

    def __init__(self, cap: int) -> None:
        self.cap = max(cap, 2)
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def write(self, chunk: bytes) -> None:
        """Add the next chunk of the stream."""
        self.total += len(chunk)
        head_room = self.cap // 2 - len(self._head)
        if head_room > 0:
            self._head += chunk[:head_room]
            chunk = chunk[head_room:]
        if not chunk:
            return
        keep = self.cap - self.cap // 2
        self._tail += chunk[-keep:]
        # Trim only when the tail has doubled, so trimming costs O(1) per byte on average.
        if len(self._tail) > 2 * keep:
            del self._tail[:-keep]

    @property
    def truncated(self) -> bool:
        """True when more bytes arrived than the cap allows."""
        return self.total > self.cap

    def text(self) -> str:
        """The captured text: all of it, or head + a marker with the cut count + tail."""
        keep = self.cap - self.cap // 2
        tail = bytes(self._tail[-keep:]) if self._tail else b""
        if not self.truncated:
            return (bytes(self._head) + tail).decode("utf-8", errors="replace")
        cut = self.total - len(self._head) - len(tail)
        head = bytes(self._head).decode("utf-8", errors="replace")
        end = tail.decode("utf-8", errors="replace")
        return f"{head}\n[... {cut:,} bytes cut ...]\n{end}"
