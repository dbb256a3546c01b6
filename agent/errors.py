"""Errors meant for the person at the keyboard."""

import errno

DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class UserError(Exception):
    """A problem the user can fix; the CLI prints its message as one line and exits 2."""

    exit_code = 2


def environment_problem(error: BaseException) -> str | None:
    """One line for a failure of the machine rather than of the agent (a full disk, a file
    that cannot be written, a database that cannot be read), or None for anything else."""
    if isinstance(error, OSError):
        if error.errno in DISK_FULL_ERRNOS:
            return f"the disk is full ({_os_detail(error)}); free some space and resume"
        return _os_detail(error)
    if type(error).__module__ == "sqlite3":  # sqlite3.Error, without importing sqlite3
        text = " ".join(str(error).split())
        if "disk is full" in text or "disk I/O error" in text:
            return (
                f"the disk is full or failing (the session store says: {text}); "
                "free some space and resume"
            )
        return f"the session store failed: {text}"
    return None


def _os_detail(error: OSError) -> str:
    where = f": {error.filename}" if error.filename else ""
    return f"{error.strerror or error}{where}"


class SessionEnding(UserError):
    """A problem after which the session must stop at once: tools pass it on instead of
    turning it into a result the model could retry."""
