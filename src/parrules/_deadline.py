"""A time bound on plugin code: scoring one unit (and writing its explanations) may take at most
``Limits.max_seconds``, so that a rule that never returns costs its unit, not the batch.

The bound is a ``SIGALRM`` timer, so it applies where a signal handler can be set: in the main
thread of a process (each worker of ``score_many`` is one), on systems with ``setitimer``, and
when the application does not use ``SIGALRM`` itself. Elsewhere nothing is bounded. Python code
is stopped between two of its steps; a call into C that does not return to Python (a regular
expression, a C extension) is stopped only when it does.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


class OutOfTime(BaseException):
    """The time bound ran out. A ``BaseException``, so that a rule's ``except Exception`` does
    not swallow it; the engine turns it into an error naming the rule that was running."""


_active = False
REPEAT = 0.05
"""Seconds between further alarms, should the code running swallow the first one."""


def _alarm(signum: int, frame: Any) -> None:
    if _active:
        raise OutOfTime


@contextlib.contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raise ``OutOfTime`` inside the block once ``seconds`` have passed (not nested: inside a
    bounded block, the outer bound applies)."""
    global _active
    if (
        seconds <= 0
        or _active
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    handler = signal.getsignal(signal.SIGALRM)
    if handler not in (signal.SIG_DFL, _alarm):  # the application's own: leave it alone
        yield
        return
    if handler is not _alarm:
        signal.signal(signal.SIGALRM, _alarm)
    _active = True
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT)
    try:
        yield
    finally:
        _active = False  # first: an alarm already on its way no longer raises
        signal.setitimer(signal.ITIMER_REAL, 0)
        if handler is not _alarm:
            signal.signal(signal.SIGALRM, handler)


def contained(exc: BaseException) -> bool:
    """Whether plugin code raising ``exc`` fails only what it was doing: everything but Ctrl-C
    (and the termination the command line turns into it), and the time bound, which the caller
    reports."""
    return not isinstance(exc, KeyboardInterrupt | OutOfTime)
