"""Input files, read one way: a regular file only, opened without waiting, and no more of it
than a bound."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class Unreadable(Exception):
    """Why a file was not read, in words that follow its name: not a regular file (a named
    pipe would be waited on), or what the system says."""


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, at most ``limit`` + 1 of them (one more says it is over the
    limit): as much as it holds, not a buffer of the limit's size, and what it grew by since
    its size was read. ``Unreadable`` where it cannot be read."""
    try:
        with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise Unreadable("not a regular file (a directory, a pipe, a device)")
            want = min(status.st_size, limit) + 1
            data = file.read(want)
            if len(data) == want <= limit:
                data += file.read(limit + 1 - want)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        reason = getattr(exc, "strerror", None) or exc
        raise Unreadable(f"cannot read the file: {reason}") from None
    return data
