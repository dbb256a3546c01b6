"""Errors meant for the person at the keyboard."""


class UserError(Exception):
    """A problem the user can fix; the CLI prints its message as one line and exits 2."""

    exit_code = 2


class SessionEnding(UserError):
    """A problem after which the session must stop at once: tools pass it on instead of
    turning it into a result the model could retry."""
