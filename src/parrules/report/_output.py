"""Writing a report file atomically, and only where a report belongs: readers see the old file or
the new one, never half, and nothing but a regular file or a new path is ever replaced."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import OutputError

_KINDS = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFSOCK: "a socket",
}


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` atomically (see ``open_atomic``)."""
    with open_atomic(path) as stream:
        stream.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def open_atomic(path: str | Path) -> Iterator[BinaryIO]:
    """A stream to a temporary file beside ``path``, renamed over ``path`` when the block ends;
    on any failure (an exception in the block, Ctrl-C, or a termination the command line turns
    into an exception) the temporary file is removed and ``path`` is left untouched; one that a
    killed run (``kill -9``) left is removed by the next run writing ``path``. Output written as
    it is made (JSON Lines) reaches ``path`` whole or not at all.

    ``path`` must be a new path or a regular file, whose permissions (and owner, where the process
    may set it) the new file keeps. A symbolic link, a directory, a named pipe or a device (such
    as ``/dev/null`` or ``/dev/stdout``) is refused with an ``OutputError``: replacing it with a
    regular file would break whatever relies on it.
    """
    target = Path(path)
    kept = check_output(target)
    prefix = _prefix(target)
    _remove_left_behind(target, prefix)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f"{prefix}{os.getpid()}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if kept is None:
            os.chmod(temporary, 0o666 & ~_umask())
        else:
            os.chmod(temporary, stat.S_IMODE(kept.st_mode))
            if (kept.st_uid, kept.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # only the owner or root may give it away
                    os.chown(temporary, kept.st_uid, kept.st_gid)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _prefix(target: Path) -> str:
    """How the temporary files of ``target`` begin: hidden, and naming the machine, so that
    ``.FILE.<machine>.<process>.<random>.tmp`` says which process wrote it, and where."""
    return f".{target.name}.{socket.gethostname().replace('.', '-')}."


def _remove_left_behind(target: Path, prefix: str) -> None:
    """Remove what a run killed while writing ``target`` on this machine left (``kill -9``
    cannot be caught): a temporary file of ``target`` whose process no longer exists."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if not entry.name.startswith(prefix) or not entry.name.endswith(".tmp"):
                continue
            pid = entry.name[len(prefix) :].split(".", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and belongs to another user
        return True
    return True


def check_output(path: str | Path) -> os.stat_result | None:
    """The regular file at ``path`` (None for a new path); anything else is refused with an
    ``OutputError``, so that a command can refuse its output before it does any work."""
    target = Path(path)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISREG(info.st_mode):
        return info
    kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
    if stat.S_ISDIR(info.st_mode):
        hint = "name a file in it"
    elif stat.S_ISLNK(info.st_mode) and target.is_file():
        hint = f"name the file it points to, {target.resolve()}"
    else:
        hint = "leave out --output to write to standard output"
    raise OutputError(
        f"{target} is {kind}: a report is written only to a regular file or a new path",
        path=str(target),
        hint=hint,
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
