"""What integrators and newcomers meet on the command line: every command's help and output
file, rulesets that cannot load, ``rank --depth``, ``--workers``."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from parrules import Registry, UnitResult, _plugins, cli

DATA = Path(__file__).parent / "data"
COMMUNES = sorted(str(p) for p in (DATA / "reports" / "communes").glob("*-*.yaml"))

RULESET = """\
id: test/depth/2024
title: Xếp hạng theo tiêu chí
year: 2024
max: 3
nodes:
  - code: "1"
    title: Chỉ đạo điều hành
    max: 2
    children:
      - {code: "1.1", title: Kế hoạch, max: 1}
      - {code: "1.2", title: Báo cáo, max: 1}
  - {code: "2", title: Tuyên truyền, max: 1}
"""

UNITS = {
    "mot.yaml": "unit: Xã Một\nyear: 2024\nruleset: r.yaml\npoints:\n"
    "  '1.1': 1\n  '1.2': {points: 0.5, reason: Thiếu một báo cáo}\n  '2': 1\n",
    # the appraisal scored field 1 as a whole: its sub-criteria are not listed
    "hai.yaml": "unit: Xã Hai\nyear: 2024\nruleset: r.yaml\npoints:\n"
    "  '1.1': 1\n  '1.2': 1\n  '2': 0.5\nreason: Chưa đạt\nstages:\n"
    "  appraisal:\n    points: {'1': {points: 1, reason: Thẩm định chung}}\n",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def units(tmp_path: Path) -> list[str]:
    (tmp_path / "r.yaml").write_text(RULESET, encoding="utf-8")
    for name, text in UNITS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [str(tmp_path / name) for name in UNITS]


def test_every_command_has_a_description_and_an_output_file() -> None:
    parser = cli.make_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) == set(cli._COMMANDS)
    for name, command in commands.items():
        assert command.description, f"'{name}' has no description in --help"
        options = {o for a in command._actions for o in a.option_strings}
        assert "--output" in options, f"'{name}' has no --output"


@pytest.mark.parametrize(
    "argv",
    [
        ["rules"],
        ["rulesets"],
        ["validate", str(DATA / "mini.yaml")],
        ["schema", "scorecard"],
        ["diff", str(DATA / "plan" / "rules.yaml"), str(DATA / "plan" / "rules-next.yaml")],
        ["plan", str(DATA / "mini-unit.yaml")],
    ],
)
def test_output_goes_to_the_file_instead_of_stdout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    code, printed, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    target = tmp_path / "out.txt"
    assert run(capsys, *argv, "--output", str(target)) == (code, "", "")
    assert target.read_text(encoding="utf-8") == printed


def test_json_follows_the_output_suffix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    assert run(capsys, "plan", str(DATA / "mini-unit.yaml"), "-o", str(target))[0] == 0
    assert json.loads(target.read_text(encoding="utf-8"))["schema"] == "parrules.plan/1"
    _, out, _ = run(capsys, "rules", "--format", "json")
    ratio = next(r for r in json.loads(out) if r["rule"] == "ratio")
    assert ratio["plugin"] == "parrules.rules"
    assert "numerator" in ratio["params"]


def test_rulesets_are_sorted_and_those_that_cannot_load_say_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_plugins.DISABLE_AUTOLOAD, "1")
    _plugins.default_registry.cache_clear()
    try:
        code, out, err = run(capsys, "rulesets")
        _, data, _ = run(capsys, "rulesets", "--format", "json")
    finally:
        _plugins.default_registry.cache_clear()
    assert (code, err) == (0, "")
    ids = [line.split()[0] for line in out.splitlines()]
    assert ids == sorted(ids)
    marked = [line for line in out.splitlines() if "cannot load" in line]
    assert [m.split()[0] for m in marked] == ["lai-chau/district/2022", "lai-chau/district/2023"]
    assert all("parrules-lai-chau" in m and "site-packages" not in m for m in marked)
    assert "thai-nguyen/commune/2023\n" in out
    loads = {entry["id"]: entry["loads"] for entry in json.loads(data)}
    assert loads["thai-nguyen/commune/2023"] is True
    assert loads["lai-chau/district/2023"] is False


def test_rulesets_all_load_with_the_plugin_installed(capsys: pytest.CaptureFixture[str]) -> None:
    registry = Registry.create()
    if "lai-chau.provincial-index-impact" not in registry.rules:
        pytest.skip("parrules-lai-chau is not installed")
    _, out, _ = run(capsys, "rulesets")
    assert "cannot load" not in out


def test_rank_depth_shows_sub_criteria_as_columns(
    capsys: pytest.CaptureFixture[str], units: list[str]
) -> None:
    code, out, err = run(capsys, "rank", *units, "--depth", "2", "--lang", "en")
    assert (code, err) == (0, "")
    header = next(line for line in out.splitlines() if line.split()[:1] == ["Rank"])
    assert header.split()[2:6] == ["1", "1.1", "1.2", "2"]
    one = next(line for line in out.splitlines() if "Xã Một" in line)
    assert one.split()[3:7] == ["1.5", "1", "0.5", "1.0"]  # each column at one precision
    two = next(line for line in out.splitlines() if "Xã Hai" in line)
    assert two.split()[3:5] == ["1.0", "0.5"]  # 1.1 and 1.2 left empty: not listed
    average = next(line for line in out.splitlines() if line.strip().startswith("Average"))
    assert average.split()[2:6] == ["1.25", "1.00", "0.50", "0.75"]  # 1.1 and 1.2: Xã Một only
    assert "1.2: Báo cáo (max 1)" in out
    _, out, _ = run(capsys, "rank", *units, "--depth", "2", "--format", "json")
    data = json.loads(out)
    assert [u["fields"] for u in data["units"]] == [
        {"1": "1.5", "1.1": "1", "1.2": "0.5", "2": "1"},
        {"1": "1", "2": "0.5"},
    ]
    assert list(data["average"]["fields"]) == ["1", "1.1", "1.2", "2"]
    _, out, _ = run(capsys, "rank", *units, "--format", "json")
    assert list(json.loads(out)["average"]["fields"]) == ["1", "2"]


def test_a_depth_below_one_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["rank", *COMMUNES, "--depth", "0"])
    assert info.value.code == 2
    assert "--depth" in capsys.readouterr().err


WORKERS_RULESET = """\
id: test/workers/2024
title: Chấm nhiều đơn vị
year: 2024
max: 1
indicators:
  dung_han: {label: Hồ sơ đúng hạn, type: count}
  ho_so: {label: Hồ sơ, type: count}
nodes:
  - code: "1"
    title: Giải quyết hồ sơ đúng hạn
    max: 1
    rule: ratio
    params: {numerator: dung_han, denominator: ho_so, zero_denominator: full}
"""


@pytest.fixture
def many_units(tmp_path: Path) -> list[str]:
    """300 units (more than a chunk, so that workers start), the 150th impossible."""
    (tmp_path / "r.yaml").write_text(WORKERS_RULESET, encoding="utf-8")
    paths = []
    for i in range(300):
        done = 400 if i == 150 else i
        path = tmp_path / f"xa-{i:03}.yaml"
        path.write_text(
            f"unit: Xã {i:03}\nyear: 2024\nruleset: r.yaml\n"
            f"indicators: {{dung_han: {done}, ho_so: 300}}\n",
            encoding="utf-8",
        )
        paths.append(str(path))
    return paths


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "--format", "jsonl"],
        ["score", "--format", "json"],
        ["rank", "--format", "csv", "--tables", "ranking"],
    ],
)
def test_workers_give_the_same_output_and_errors_in_place(
    capsys: pytest.CaptureFixture[str], many_units: list[str], argv: list[str]
) -> None:
    alone = run(capsys, *argv, *many_units)
    together = run(capsys, *argv, *many_units, "--workers", "3")
    assert together == alone
    code, out, err = together
    assert code == 1
    assert err.count("\n") == 1
    assert "xa-150.yaml" in err
    assert "dung_han (400) is greater than ho_so (300)" in err
    assert "Xã 299" in out
    assert "Xã 150" not in out


def test_workers_score_the_rows_of_a_sheet(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "r.yaml").write_text(WORKERS_RULESET, encoding="utf-8")
    rows = "".join(f"Xã {i:03},2024,r.yaml,{i % 7},7\n" for i in range(300))
    sheet = tmp_path / "xa.csv"
    sheet.write_text("unit,year,ruleset,dung_han,ho_so\n" + rows, encoding="utf-8")
    alone = run(capsys, "score", str(sheet), "--format", "jsonl")
    assert alone[0] == 0
    assert run(capsys, "score", str(sheet), "--format", "jsonl", "--workers", "2") == alone
    assert run(capsys, "rank", str(sheet), "--workers", "2") == run(capsys, "rank", str(sheet))


def test_workers_reach_score_many(
    capsys: pytest.CaptureFixture[str], many_units: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from parrules import _batch

    asked: list[int] = []
    real = _batch.score_many

    def spy(ruleset: Any, units: Any, *, workers: int = 1) -> Any:
        asked.append(workers)
        return real(ruleset, units, workers=workers)

    monkeypatch.setattr(_batch, "score_many", spy)
    run(capsys, "score", *many_units[:10], "--workers", "4")
    assert asked == [4]


def test_workers_write_the_lines_of_the_units_they_score(
    capsys: pytest.CaptureFixture[str],
    many_units: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """JSON Lines need no card kept: the workers read the unit files, and score and render what
    they read; the rows of a sheet are rendered by the workers that score them. Formats that
    are built from the cards take them back."""
    from parrules import _batch, _many

    asked: list[str] = []
    lines, explained, files = _many._Batch.lines, _many._Batch.explained, _batch.render_files

    def spy_lines(self: Any, render: Any) -> Any:
        asked.append("lines")
        return lines(self, render)

    def spy_explained(self: Any) -> Any:
        asked.append("cards")
        return explained(self)

    def spy_files(paths: Any, *args: Any) -> Any:
        asked.append(f"{len(paths)} files")
        return files(paths, *args)

    monkeypatch.setattr(_many._Batch, "lines", spy_lines)
    monkeypatch.setattr(_many._Batch, "explained", spy_explained)
    monkeypatch.setattr(cli, "render_files", spy_files)
    (tmp_path / "r.yaml").write_text(WORKERS_RULESET, encoding="utf-8")
    rows = "".join(f"Xã {i:03},2024,r.yaml,{i % 7},7\n" for i in range(300))
    sheet = tmp_path / "xa.csv"
    sheet.write_text("unit,year,ruleset,dung_han,ho_so\n" + rows, encoding="utf-8")
    run(capsys, "score", "--format", "jsonl", str(sheet), "--workers", "2")
    assert asked == ["lines"]
    asked.clear()
    run(capsys, "score", "--format", "jsonl", *many_units[:100], "--workers", "2")
    assert asked == ["100 files"]
    asked.clear()
    run(capsys, "score", "--format", "json", *many_units, "--workers", "2")
    assert set(asked) == {"cards"}


def test_lines_rendered_by_workers_are_written_as_they_come(
    monkeypatch: pytest.MonkeyPatch, many_units: list[str]
) -> None:
    """A line a worker gives is passed on at once, not held until the run is done (which held
    every line of a run in memory), unless a unit before it is still to be scored here."""
    taken: list[str] = []
    render_files = cli.render_files

    def spy(paths: Any, *args: Any) -> Any:
        for path, line in zip(paths, render_files(paths, *args), strict=True):
            taken.append(path)
            yield None if path == many_units[2] else line  # read again by the caller

    monkeypatch.setattr(cli, "render_files", spy)
    render = lambda card: card.unit.unit  # noqa: E731
    results = cli._each_unit(many_units, _plugins.default_registry(), render, workers=2)
    first = [next(results) for _ in range(2)]  # as the workers wrote them, in UTF-8
    assert first == [cli._Line(p, f"Xã 00{i}".encode()) for i, p in enumerate(many_units[:2])]
    assert taken == many_units[:2]
    after = list(itertools.islice(results, 2))  # the fourth waited for the third
    assert [(type(r), r.output) for r in after] == [(UnitResult, "Xã 002"), (UnitResult, "Xã 003")]
    assert len(taken) == 300  # the third is scored with the rest of the window


@pytest.mark.parametrize("workers", ["1", "2"])
def test_lines_reach_any_standard_output_the_same(
    capsys: pytest.CaptureFixture[str], many_units: list[str], workers: str
) -> None:
    """Written as bytes where standard output takes UTF-8 (the workers' lines as they gave
    them), as text where it does not: the same lines in each."""
    argv = ["score", "--format", "jsonl", *many_units[:120], "--workers", workers]
    code, out, _ = run(capsys, *argv)
    assert out.count("\n") == 120
    for encoding in ("utf-8", "utf-16", None):  # None: text alone, no bytes beneath
        stream = io.StringIO() if encoding is None else io.TextIOWrapper(io.BytesIO(), encoding)
        with contextlib.redirect_stdout(stream):
            assert cli.main(argv) == code
        stream.flush()
        written = stream.getvalue() if encoding is None else stream.buffer.getvalue()
        assert (written if encoding is None else written.decode(encoding)) == out


def test_unit_files_read_by_workers_give_the_same_lines_and_refusals(
    capsys: pytest.CaptureFixture[str], many_units: list[str], tmp_path: Path
) -> None:
    """With ``--workers``, JSON Lines of unit files are read, scored and written by the workers:
    a unit met again, a file that cannot be read and a sheet between the files come out as
    from one process, in the order given."""
    again = tmp_path / "again.yaml"
    again.write_text(Path(many_units[7]).read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("unit: [\n", encoding="utf-8")
    sheet = tmp_path / "xa.csv"
    sheet.write_text("unit,year,ruleset,dung_han,ho_so\nXã Bảng,2024,r.yaml,3,7\n", "utf-8")
    argv = [*many_units[:100], str(again), str(broken), str(sheet), *many_units[100:]]
    alone = run(capsys, "score", "--format", "jsonl", *argv)
    assert run(capsys, "score", "--format", "jsonl", *argv, "--workers", "2") == alone
    written = tmp_path / "lines.jsonl"  # the workers' lines written to a file as they gave them
    run(capsys, "score", "--format", "jsonl", *argv, "--workers", "2", "-o", str(written))
    assert written.read_text(encoding="utf-8") == alone[1]
    code, out, err = alone
    assert code == 1
    assert "again.yaml, field 'unit': the unit 'Xã 007' (2024) is already in" in err
    assert "broken.yaml" in err
    assert out.count("\n") == 300  # the files, less the impossible unit, and the sheet's row


def test_a_worker_that_dies_leaves_its_files_to_the_calling_process(
    capsys: pytest.CaptureFixture[str], many_units: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from parrules import _batch

    real, here = _batch._render, os.getpid()

    def dies(card: Any, render: Any) -> str:
        if card.unit.unit == "Xã 100" and os.getpid() != here:
            os._exit(1)
        return real(card, render)

    alone = run(capsys, "score", "--format", "jsonl", *many_units)
    monkeypatch.setattr(_batch, "_render", dies)
    assert run(capsys, "score", "--format", "jsonl", *many_units, "--workers", "2") == alone


def test_where_processes_cannot_be_forked_the_files_are_read_here(
    capsys: pytest.CaptureFixture[str], many_units: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent import futures

    from parrules import _batch, _many

    alone = run(capsys, "score", "--format", "jsonl", *many_units)
    monkeypatch.setattr(_batch, "_can_fork", lambda: False)
    monkeypatch.setattr(_many, "_can_fork", lambda: False)
    started: list[int] = []
    monkeypatch.setattr(futures, "ProcessPoolExecutor", lambda *a, **k: started.append(1))
    assert run(capsys, "score", "--format", "jsonl", *many_units, "--workers", "2") == alone
    assert started == []
