"""Outputs hold no file-system path and are the same bytes from any installation; every lost
point resting on an assumption says so, in text and in JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import parrules
from parrules import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))
PACKAGE = Path(parrules.__file__).resolve().parent
FORMATS = ("text", "markdown", "html", "latex", "zip", "json", "jsonl", "xlsx")


def _roots(tmp_path: Path) -> list[str]:
    """Every place an installation or a run could leak into an output."""
    places = {ROOT, PACKAGE, PACKAGE.parent, Path(sys.prefix), Path.home(), tmp_path}
    return sorted({str(p) for p in places} | {"site-packages", "dist-packages"})


def _text_of(path: Path) -> str:
    if path.suffix not in (".xlsx", ".zip"):
        return path.read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as book:  # every part: cells and metadata, or each CSV file
        return "\n".join(book.read(name).decode("utf-8") for name in book.namelist())


def _leaks(text: str, tmp_path: Path) -> list[str]:
    found = [root for root in _roots(tmp_path) if root in text]
    found += re.findall(r"(?<![\w.:/])/(?:work|tmp|home|usr|root|opt|var|Users)/\S+", text)
    return found


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.relative_to(ROOT / "examples"))
def test_no_output_of_an_example_holds_a_path(example: Path, tmp_path: Path, capsys) -> None:
    """explain (every table, in every format), plan and, for a ruleset's units, rank."""
    outputs = []
    for kind in FORMATS:
        target = tmp_path / f"out.{kind}"
        assert cli.main(["explain", str(example), "--format", kind, "-o", str(target)]) == 0
        outputs.append(target)
    tables = "card,register,details,assumptions,departments,stages,goals,trend"
    target = tmp_path / "all.zip"
    assert cli.main(["explain", str(example), "--tables", tables, "-o", str(target)]) == 0
    outputs.append(target)
    texts = [_text_of(p) for p in outputs]
    for kind in ("text", "json"):
        assert cli.main(["plan", str(example), "--format", kind]) == 0
    ruleset = parrules.load_unit(example).ruleset
    peers = [p for p in example.parent.glob("*.yaml") if parrules.load_unit(p).ruleset == ruleset]
    assert cli.main(["rank", *map(str, sorted(peers))]) == 0
    texts.append(capsys.readouterr().out)
    assert len(texts) == len(FORMATS) + 2
    for kind, text in zip([*FORMATS, "tables", "plan and rank"], texts, strict=True):
        assert text.strip(), kind
        assert _leaks(text, tmp_path) == [], kind


def _install(tmp_path: Path, where: str) -> Path:
    """A copy of the package at another place, as a second installation would have it."""
    site = tmp_path / where
    shutil.copytree(PACKAGE, site / "parrules", ignore=shutil.ignore_patterns("__pycache__"))
    return site


_RUN = """\
import sys
sys.path.insert(0, sys.argv[1])
import parrules
assert parrules.__file__.startswith(sys.argv[1]), parrules.__file__
from parrules.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def _run(site: Path, cwd: Path, *args: str) -> bytes:
    cwd.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(site), *args],
        cwd=cwd,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_two_installations_give_byte_identical_json(tmp_path: Path) -> None:
    """The same units scored by copies of parrules at two places, from two working
    directories: the JSON score cards and plans are the same bytes, and name neither place."""
    a = _install(tmp_path, "venv-a/lib/site-packages")
    b = _install(tmp_path, "opt/other/python")
    units = [str(p) for p in EXAMPLES]
    plan = str(ROOT / "examples" / "lai-chau" / "tam-duong-2023.yaml")
    for args in (("explain", "--format", "json", *units), ("plan", "--format", "json", plan)):
        out_a = _run(a, tmp_path / f"run-a-{args[0]}", *args)
        out_b = _run(b, tmp_path / f"run-b-{args[0]}", *args)
        assert out_a == out_b
        assert b'"schema"' in out_a
        for place in (str(a), str(b), str(tmp_path), "site-packages"):
            assert place.encode() not in out_a


def _assumed_nodes(card: parrules.ScoreCard) -> dict[str, dict[str, str]]:
    return {d.code: dict(d.node.assumptions()) for d in card.deductions if d.node.assumed}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.relative_to(ROOT / "examples"))
def test_each_lost_point_on_an_assumption_is_marked(example: Path, capsys) -> None:
    """JSON gives each deduction's assumed items with their reasons; the register marks each
    one, and the assumptions table gives every reason."""
    unit = parrules.load_unit(example)
    card = parrules.score(parrules.load_ruleset(unit.ruleset), unit)
    assumed = _assumed_nodes(card)
    assert cli.main(["explain", str(example), "--format", "json"]) == 0
    deductions = json.loads(capsys.readouterr().out)["stages"][-1]["deductions"]
    assert {d["code"]: d["assumed"] for d in deductions if d["assumed"]} == assumed

    def rows(table: str) -> list[list[str]]:
        assert cli.main(["explain", str(example), "--tables", table, "--format", "csv"]) == 0
        text = capsys.readouterr().out.removeprefix("\ufeff")
        return list(csv.reader(io.StringIO(text), delimiter=";"))[1:]

    marks = {row[1]: row[-1] for row in rows("register")[:-1]}
    assert {code for code, mark in marks.items() if mark.startswith("giả định (")} == set(assumed)
    annex = [(r[1], r[3]) for r in rows("assumptions")]
    reasons = {(code, why) for code, items in assumed.items() for why in items.values()}
    assert sorted(annex) == sorted(reasons)
    assert cli.main(["explain", str(example)]) == 0
    assert ("giả định (1)" in capsys.readouterr().out) == bool(assumed)


def test_the_shipped_examples_rest_on_assumptions() -> None:
    """Before rulesets declared assumptions, no explanation said 'giả định' (0 times)."""
    marked = 0
    for example in EXAMPLES:
        unit = parrules.load_unit(example)
        marked += len(_assumed_nodes(parrules.score(parrules.load_ruleset(unit.ruleset), unit)))
    assert marked > 0


# An installed ruleset is named in errors by its id and line, never by where it is installed: a
# generator of broken rulesets, each shipped from a directory that looks like an installation.
BREAKAGES = {
    "unknown top key": ("max: 10\n", "max: 10\nmaxx: 1\n"),
    "a max that is not a number": ("    max: 4\n", "    max: bốn\n"),
    "unknown rule": ("rule: check", "rule: chekc"),
    "bad params": ("params: {all_of: [co_ke_hoach]}", "params: {all_of: [khong_co]}"),
    "YAML syntax": ("nodes:\n", "nodes: [\n"),
    "a hidden character": ("title: Chỉ đạo điều hành", 'title: "Chỉ đạo\\u200b"'),
    "a missing parent": ("id: test/mini/2023\n", "id: test/mini/2023\nextends: khong/co/2023\n"),
    "a list where a number is": ("precision: 4", "precision: [4]"),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_an_installed_ruleset_is_named_by_its_id_in_errors(name: str, tmp_path: Path) -> None:
    installed = tmp_path / "lib" / "site-packages" / "parrules_x" / "rulesets"
    folder = installed / "x" / "district"
    folder.mkdir(parents=True)
    old, new = BREAKAGES[name]
    text = (ROOT / "tests" / "data" / "mini.yaml").read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new).replace("id: test/mini/2023", "id: x/district/2023")
    (folder / "2023.yaml").write_text(text, encoding="utf-8")
    builtin = parrules.Registry.create(entry_points=False)
    registry = parrules.Registry(builtin.rules, (installed,))
    with pytest.raises(parrules.ParRulesError) as caught:
        parrules.load_ruleset("x/district/2023", registry=registry)
    message = str(caught.value)
    assert re.match(r"x/district/2023:\d+", message), message
    assert not _leaks(message, tmp_path), message
    findings = parrules.validate("x/district/2023", registry=registry)
    assert findings
    for finding in findings:
        assert finding.path == "x/district/2023", finding
        assert not _leaks(str(finding), tmp_path), finding


def _without_plugins() -> parrules.Registry:
    """The built-in rules and rulesets only, as when the Lai Châu plugin is not installed."""
    return parrules.Registry.create(entry_points=False)


def test_an_error_in_an_installed_ruleset_names_it_by_id(tmp_path: Path) -> None:
    """A missing plugin is reported at the installed file by ruleset id and line, by the loader
    and by validate; the file's place on this machine is not named."""
    registry = _without_plugins()
    with pytest.raises(parrules.errors.UnknownRuleError) as caught:
        parrules.load_ruleset("lai-chau/district/2023", registry=registry)
    assert str(caught.value).startswith("lai-chau/district/2022:")
    assert caught.value.path == "lai-chau/district/2022"
    assert _leaks(str(caught.value), tmp_path) == []
    (finding,) = parrules.validate("lai-chau/district/2023", registry=registry)
    line = _line_in_2022("        rule: lai-chau.provincial-index-impact")
    assert (finding.check, finding.path, finding.line) == ("unknown-rule", *line)
    assert _leaks(str(finding), tmp_path) == []


def _line_in_2022(text: str) -> tuple[str, int]:
    lines = (PACKAGE / "rulesets" / "lai-chau" / "district" / "2022.yaml").read_text("utf-8")
    return "lai-chau/district/2022", lines.splitlines().index(text) + 1


def test_a_finding_in_a_parent_is_named_by_id_and_the_users_file_by_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A user's ruleset extending an installed one: what is wrong in the user's file is named by
    the path given, what it leaves wrong in the installed parent by the parent's id."""
    monkeypatch.chdir(tmp_path)
    Path("child.yaml").write_text(
        "extends: lai-chau/district/2022\nid: my/child\ntitle: Child\nyear: 2022\n"
        "replace:\n  - {code: '6.5', title: X, max: 0.5}\n",
        encoding="utf-8",
    )
    assert cli.main(["validate", "--strict", "child.yaml"]) == 1
    out = capsys.readouterr().out
    assert "child.yaml:6: warning [uncited] node 6.5" in out
    unused = r"^lai-chau/district/2022:\d+: warning \[unused-indicator\] indicator 'nha_dat_"
    assert re.search(unused, out, re.MULTILINE)
    assert _leaks(out, tmp_path) == []
