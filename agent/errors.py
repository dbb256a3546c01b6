"""Errors meant for the person at the keyboard."""


class UserError(Exception):
    """A problem the user can fix; the CLI prints its message as one line and exits 2."""

    exit_code = 2
