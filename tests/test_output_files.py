"""Output files: written atomically, only over a regular file or to a new path, keeping the old
file's permissions, never emptied by a failed run, and no temporary file left by Ctrl-C or a
termination."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from parrules import report
from parrules.cli import main
from parrules.errors import OutputError

UNIT = Path(__file__).parent / "data" / "mini-unit.yaml"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("kind", ["symlink", "directory", "fifo", "device"])
def test_only_a_regular_file_or_a_new_path_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    target = tmp_path / "out.txt"
    if kind == "symlink":
        (tmp_path / "real.txt").write_text("old")
        target.symlink_to(tmp_path / "real.txt")
    elif kind == "directory":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    before = os.lstat(target)
    assert main(["score", str(UNIT), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"parrules: {target} is a")
    assert "a report is written only to a regular file or a new path" in err
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    if kind == "symlink":
        assert (tmp_path / "real.txt").read_text() == "old"
        assert f"name the file it points to, {tmp_path / 'real.txt'}" in err
    assert leftovers(tmp_path) == []
    with pytest.raises(OutputError):
        report.write_atomic(target, "new")


def test_the_output_is_refused_before_any_unit_is_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "out").mkdir()
    assert main(["score", "missing.yaml", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "is a directory" in err


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_an_existing_file_keeps_its_permissions(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(mode)
    assert main(["score", str(UNIT), "-o", str(target)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert "Huyện Thử Nghiệm" in target.read_text()


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        report.write_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


@pytest.mark.parametrize("format", ["jsonl", "json", "csv", "xlsx", "text"])
def test_a_run_in_which_no_unit_scores_keeps_the_old_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], format: str
) -> None:
    target = tmp_path / f"out.{format}"
    target.write_bytes(b"old content\n")
    assert (
        main(["score", str(tmp_path / "missing.yaml"), "-o", str(target), "--format", format]) == 1
    )
    assert target.read_bytes() == b"old content\n"
    assert "cannot read the file" in capsys.readouterr().err
    assert leftovers(tmp_path) == []


def test_jsonl_with_some_units_scored_writes_them(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    assert main(["score", str(UNIT), str(tmp_path / "missing.yaml"), "-o", str(target)]) == 1
    assert target.read_text().count("\n") == 1
    assert '"unit":"Huyện Thử Nghiệm"' in target.read_text()


SLOW = textwrap.dedent(
    """
    import signal, sys, time
    from parrules import cli

    # Ctrl-C as in a terminal, even when the suite runs in the background (`pytest &`), where
    # the shell starts every process with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    each = cli._each_unit

    def slow(*args, **kwargs):  # one unit, then a long wait: the file is half written
        yield from each(*args, **kwargs)
        print("waiting", flush=True)
        time.sleep(60)

    cli._each_unit = slow
    sys.exit(cli.main(sys.argv[1:]))
    """
)


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGTERM, 143, "parrules: terminated"),
        (signal.SIGHUP, 129, "parrules: terminated"),
        (signal.SIGINT, 130, "parrules: interrupted"),
    ],
)
def test_a_run_stopped_by_a_signal_removes_its_temporary_file(
    tmp_path: Path, signum: int, code: int, message: str
) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW, "score", str(UNIT), "-o", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "waiting\n"  # the temporary file is open and written
    assert len(leftovers(tmp_path)) == 1
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code
    assert err == message + "\n"  # no traceback
    assert leftovers(tmp_path) == []
    assert target.read_text() == "old\n"


def test_a_run_killed_outright_leaves_a_temporary_file_the_next_run_removes(tmp_path: Path) -> None:
    """What the documentation says of kill -9: the target is untouched and one hidden file,
    named after it and the process, is left beside it until a run writes the target again."""
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW, "score", str(UNIT), "-o", str(target)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "waiting\n"
    process.kill()
    process.wait(timeout=60)
    (left,) = leftovers(tmp_path)
    assert left.startswith(f".out.jsonl.{socket.gethostname().replace('.', '-')}.{process.pid}.")
    assert target.read_text() == "old\n"
    # The next run writing the same file removes it; a live writer's, or another file's, stays.
    alive = tmp_path / f".out.jsonl.{socket.gethostname().replace('.', '-')}.{os.getpid()}.x.tmp"
    alive.write_text("")
    other = tmp_path / f".other.jsonl.{socket.gethostname().replace('.', '-')}.{process.pid}.x.tmp"
    other.write_text("")
    assert main(["score", str(UNIT), "--format", "jsonl", "-o", str(target)]) == 0
    assert leftovers(tmp_path) == sorted([alive.name, other.name])
    assert target.read_text().startswith("{")


def test_an_input_is_never_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sheet = tmp_path / "xa.csv"
    sheet.write_text("unit,ruleset\nXã A,test\n", encoding="utf-8")
    for command in (["rank", "xa.csv", "-o", str(sheet)], ["score", str(sheet), "-o", "xa.csv"]):
        assert main(command) == 1
        assert "is also an input: give another file to write" in capsys.readouterr().err
        assert sheet.read_text(encoding="utf-8") == "unit,ruleset\nXã A,test\n"
