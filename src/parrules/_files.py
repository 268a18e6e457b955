"""Input files, read one way: a regular file only, opened without waiting, and no more of it
than a bound."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotRegularFile(Exception):
    """A directory, a named pipe or a device: not read (a named pipe would be waited on)."""

    def __str__(self) -> str:
        return "not a regular file (a directory, a pipe, a device)"


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, at most ``limit`` + 1 of them (one more says it is over the
    limit): as much as it holds, not a buffer of the limit's size, and what it grew by since
    its size was read. ``NotRegularFile``; ``OSError``, or ``ValueError`` for a NUL in the
    name, where it cannot be read."""
    with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFile
        want = min(status.st_size, limit) + 1
        data = file.read(want)
        if len(data) == want <= limit:
            data += file.read(limit + 1 - want)
    return data
