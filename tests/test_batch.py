"""Batches: every good unit is scored exactly as alone, every bad one is listed with its error,
nothing is half-written, and the output does not depend on hash seeds or plugin order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import parrules
from parrules import Outcome, Registry, Rule, Text, score_batch
from parrules.cli import main
from parrules.errors import (
    DuplicateUnitError,
    NotScoredError,
    RuleFailure,
    UnitError,
    UnknownNameError,
    YamlError,
)
from parrules.report import write_atomic

from helpers import fake_distribution

ROOT = Path(__file__).parent.parent

RULESET = """\
id: test/batch/2023
title: Bộ chỉ số thử theo lô
year: 2023
max: 3
precision: 4
indicators:
  a: {label: Số hồ sơ đúng hạn, type: count}
  b: {label: Tổng số hồ sơ, type: count}
  x: {label: Điểm khảo sát, type: number}
nodes:
  - code: "1"
    title: Lĩnh vực thử
    max: 3
    children:
      - code: "1.1"
        title: Tỷ lệ hồ sơ đúng hạn
        max: 1
        rule: ratio
        params: {numerator: a, denominator: b, zero_denominator: full}
      - {code: "1.2", title: Khảo sát, max: 1, rule: flaky, params: {value: x}}
      - {code: "1.3", title: Thẩm định, max: 1}
"""


def bind_flaky(p: parrules.Params) -> Any:
    """x / 100 points; fails on purpose for x = 13 (raises) and x = 14 (returns too much)."""
    name = p.indicator("value", ("number",), direction=1)

    def evaluate(values: Any) -> Outcome:
        x = values[name]
        if x == 13:
            raise RuntimeError("unlucky number")
        if x == 14:
            return Outcome(Decimal(5))
        points = x / 100
        reason = Text("Đạt {x}", "Got {x}") if points < 1 else None
        return Outcome(points, reason, None, (("x", x),))

    return evaluate


FLAKY = SimpleNamespace(
    __name__="plugin_flaky",
    parrules_rules=parrules.hookimpl(lambda: [Rule("flaky", bind_flaky, "x / 100", ("value",))]),
)


def _raise() -> list[Rule]:
    raise ImportError("No module named 'parrules_gone'")


GONE = SimpleNamespace(__name__="plugin_gone", parrules_rules=parrules.hookimpl(_raise))


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry = Registry.create(plugins=[FLAKY, GONE], entry_points=False)
    assert [b.name for b in registry.broken] == ["plugin_gone"]  # and the others still load
    return registry


def unit_text(i: int, *, a: Any = None, b: Any = 40, x: Any = None, extra: str = "") -> str:
    a = i % 41 if a is None else a
    if x is None:
        x = (i * 7) % 100
        x += 2 if x in (13, 14) else 0
    points = "1" if i % 3 else "{points: 0.5, reason: Hồ sơ thiếu minh chứng}"
    return (
        f"unit: Xã số {i}\nyear: 2023\nruleset: r.yaml\n"
        f"indicators: {{a: {a}, b: {b}, x: {x}}}\npoints: {{'1.3': {points}}}\n{extra}"
    )


def make_batch(directory: Path) -> tuple[list[Path], dict[Path, tuple[type[Exception], str]]]:
    """1,000 small units: 990 good, 7 bad files and 3 that the faulty plugin fails on."""
    (directory / "r.yaml").write_text(RULESET, encoding="utf-8")
    bad_texts: dict[int, tuple[str | bytes, type[Exception], str]] = {
        17: ("unit: Xã số 17\nindicators: {a: 1, b: [\n", YamlError, "not valid YAML"),
        101: (unit_text(101).replace("{a:", "{aa:"), UnknownNameError, "did you mean 'a'?"),
        202: (unit_text(202, a=-1), UnitError, "-1 is not a count"),
        303: (unit_text(303, a=50), UnitError, "a (50) is greater than b (40)"),
        404: ("unit: X\xe3 s\xf4\n".encode("latin-1"), YamlError, "not UTF-8"),
        505: (unit_text(505).replace("points: {'1.3': 1}\n", ""), NotScoredError, "1.3"),
        606: (unit_text(606).replace("year: 2023", "year: 2022"), UnitError, "is for 2022"),
        707: (unit_text(707, x=13), RuleFailure, "RuntimeError: unlucky number"),
        808: (unit_text(808, x=13), RuleFailure, "RuntimeError: unlucky number"),
        909: (unit_text(909, x=14), RuleFailure, "returned 5 points, outside 0–1"),
    }
    paths, bad = [], {}
    for i in range(1000):
        path = directory / f"xa-{i:04d}.yaml"
        if i in bad_texts:
            text, cls, fragment = bad_texts[i]
            bad[path] = (cls, fragment)
        else:
            text = unit_text(i)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths, bad


def test_a_thousand_units_with_ten_bad_ones(tmp_path, registry):
    paths, bad = make_batch(tmp_path)
    batch = score_batch(paths, registry=registry)

    assert [r.path for r in batch.results] == [str(p) for p in paths]  # the order given
    assert not batch.ok
    assert {Path(r.path) for r in batch.failures} == set(bad)
    assert len(batch.cards) == 990
    for result in batch.failures:
        cls, fragment = bad[Path(result.path)]
        assert isinstance(result.error, cls)
        assert fragment in result.message
        assert result.card is None  # no card with zeros for a unit that could not be scored

    ruleset = parrules.load_ruleset(tmp_path / "r.yaml", registry=registry)
    for index, result in enumerate(batch.results):
        if result.ok:
            alone = parrules.score(ruleset, parrules.load_unit(result.path, registry=registry))
            assert result.card == alone  # every field, every node, every stage
            if index % 25 == 0:
                assert result.card.to_dict() == alone.to_dict()


def test_a_failing_rule_names_plugin_rule_node_and_unit_and_what_was_not_scored(tmp_path, registry):
    paths, _ = make_batch(tmp_path)
    result = score_batch([paths[707]], registry=registry).results[0]
    error = result.error
    assert isinstance(error, RuleFailure)
    assert (error.plugin, error.rule, error.code, error.unit) == (
        "plugin_flaky",
        "flaky",
        "1.2",
        "Xã số 707",
    )
    assert result.not_scored == ("1", "1.2")
    assert str(paths[707]) in result.message
    assert "(not scored: 1, 1.2)" in result.message


def test_a_broken_ruleset_is_reported_for_each_unit_and_read_once(tmp_path, registry, monkeypatch):
    (tmp_path / "r.yaml").write_text(RULESET.replace("max: 3\nprecision", "max: 4\nprecision"))
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"u{i}.yaml")
        paths[-1].write_text(unit_text(i), encoding="utf-8")
    reads = []
    real = parrules._ruleset.load_file
    monkeypatch.setattr(
        parrules._ruleset, "load_file", lambda p, **kw: reads.append(p) or real(p, **kw)
    )
    batch = score_batch(paths, registry=registry)
    assert len(batch.failures) == 3
    assert all("add up to 3, not 4" in r.message for r in batch.failures)
    assert all(r.message.startswith(str(r.path)) for r in batch.failures)  # names the unit too
    assert len(reads) == 1


def test_a_ruleset_named_from_one_folder_is_resolved_once(tmp_path, registry, monkeypatch):
    """2,000 unit files naming one ruleset: it is looked up once per folder, not once a file;
    a ruleset that cannot be found is still named in each unit file, on its line."""
    (tmp_path / "r.yaml").write_text(RULESET, encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "r.yaml").write_text(RULESET, encoding="utf-8")
    paths = []
    for i, folder in enumerate((tmp_path, tmp_path, other, other, tmp_path)):
        paths.append(folder / f"u{i}.yaml")
        paths[-1].write_text(unit_text(i), encoding="utf-8")
    for i in (5, 6):
        paths.append(tmp_path / f"u{i}.yaml")
        paths[-1].write_text(unit_text(i).replace("r.yaml", "gone.yaml"), encoding="utf-8")
    looked_up = []
    real = parrules._batch.ruleset_file_of
    monkeypatch.setattr(
        parrules._batch,
        "ruleset_file_of",
        lambda data, path, registry: looked_up.append(path.name) or real(data, path, registry),
    )
    batch = score_batch(paths, registry=registry)
    assert looked_up == ["u0.yaml", "u2.yaml", "u5.yaml", "u6.yaml"]
    assert [r.ok for r in batch.results] == [True] * 5 + [False] * 2
    assert len({id(r.card.ruleset) for r in batch.results if r.card}) == 2
    for result in batch.failures:
        assert isinstance(result.error, UnknownNameError)
        assert (result.error.path, result.error.line) == (result.path, 3)


def test_a_unit_in_two_files_under_two_normalisations_is_a_duplicate(tmp_path, registry):
    (tmp_path / "r.yaml").write_text(RULESET, encoding="utf-8")
    names = {
        "nfc.yaml": unicodedata.normalize("NFC", "Xã Bình Thành"),
        "nfd.yaml": unicodedata.normalize("NFD", "Xã Bình Thành"),
        "spaced.yaml": "xã  Bình Thành ",
        "other.yaml": "Xã Bình Thuận",
    }
    for file, name in names.items():
        (tmp_path / file).write_text(unit_text(1).replace("Xã số 1", name), encoding="utf-8")
    batch = score_batch([tmp_path / f for f in names], registry=registry)
    duplicates = [r for r in batch.results if isinstance(r.error, DuplicateUnitError)]
    assert [Path(r.path).name for r in duplicates] == ["nfc.yaml", "nfd.yaml", "spaced.yaml"]
    assert "is also in" in duplicates[0].message
    assert "nfd.yaml" in duplicates[0].message
    assert [c.unit.unit for c in batch.cards] == ["Xã Bình Thuận"]


def test_an_explanation_a_plugin_cannot_write_fails_its_unit_only(tmp_path):
    def bind(p: parrules.Params) -> Any:
        p.indicator("value", ("number",))
        return lambda values: Outcome(Decimal(0), Text("{nowhere}", "{nowhere}"), None, ())

    plugin = SimpleNamespace(
        __name__="plugin_mute", parrules_rules=parrules.hookimpl(lambda: [Rule("flaky", bind)])
    )
    registry = Registry.create(plugins=[plugin], entry_points=False)
    (tmp_path / "r.yaml").write_text(RULESET, encoding="utf-8")
    path = tmp_path / "u.yaml"
    path.write_text(unit_text(1), encoding="utf-8")
    assert score_batch([path], registry=registry).ok  # scoring itself does not format text

    batch = score_batch([path], registry=registry, render=lambda c: json.dumps(c.to_dict()))
    error = batch.results[0].error
    assert isinstance(error, RuleFailure)
    assert (error.plugin, error.code) == ("plugin_mute", "1.2")
    assert "explanation cannot be written: TemplateError" in str(error)


# The command line: one line per bad unit, good units written all at once.


def write_units(directory: Path) -> list[Path]:
    data = ROOT / "tests" / "data" / "mini.yaml"
    good = (ROOT / "tests" / "hostile" / "_valid.yaml").read_text(encoding="utf-8")
    good = good.replace("../data/mini.yaml", str(data))
    paths = [directory / "a.yaml", directory / "bad.yaml", directory / "b.yaml"]
    paths[0].write_text(good, encoding="utf-8")
    paths[1].write_text(good.replace("tthc_thanh_toan: 10", "tthc_thanh_toan: -1"))
    paths[2].write_text(good.replace("Huyện Thử Nghiệm", "Huyện Khác"), encoding="utf-8")
    return paths


def test_the_cli_scores_the_good_units_and_lists_the_bad(tmp_path, capsys):
    paths = write_units(tmp_path)
    code = main(["score", "--format", "json", *map(str, paths)])
    out, err = capsys.readouterr()
    assert code == 1
    assert [card["unit"] for card in json.loads(out)] == ["Huyện Thử Nghiệm", "Huyện Khác"]
    assert err.splitlines() == [
        f"parrules: {paths[1]}:6, field 'tthc_thanh_toan': -1 is not a count (a whole number, 0 or"
        " more)"
    ]


def test_the_output_file_is_written_at_once(tmp_path, capsys):
    paths = write_units(tmp_path)
    out = tmp_path / "out.json"
    out.write_text("an older result that must be replaced whole\n", encoding="utf-8")
    assert main(["score", "--format", "json", "-o", str(out), *map(str, paths)]) == 1
    text = out.read_text(encoding="utf-8")
    assert "older" not in text
    assert text.count('"schema": "parrules.scorecard/2"') == 2
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.yaml",
        "b.yaml",
        "bad.yaml",
        "out.json",
    ]


def test_an_output_that_cannot_be_written_is_one_line(tmp_path, capsys):
    paths = write_units(tmp_path)
    target = tmp_path / "no" / "such" / "dir.txt"
    assert main(["score", "-o", str(target), str(paths[0])]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [f"parrules: cannot write {target}: No such file or directory"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / "out.json"
    out.write_text("old\n", encoding="utf-8")

    def fail(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(out, "new\n" * 1000)
    assert out.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


# Determinism: byte-identical output whatever the hash seed or the plugin order.


def run_cli(*args: str, seed: str, extra_path: str = "") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    if extra_path:
        env["PYTHONPATH"] = extra_path + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "parrules.cli", *args],
        capture_output=True,
        check=False,
        env=env,
        cwd=ROOT,
    )


def test_output_is_byte_identical_whatever_the_hash_seed():
    examples = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").rglob("*.yaml"))
    assert examples
    outputs = set()
    for seed in ("0", "1", "4242"):
        for lang in ("vi", "en"):
            run = run_cli("score", "--format", "json", "--lang", lang, *examples, seed=seed)
            assert run.returncode == 0, run.stderr.decode()
            outputs.add((lang, run.stdout))
    assert len(outputs) == 2  # one per language


def provider(name: str, rule_name: str, points: str) -> SimpleNamespace:
    def bind(p: parrules.Params) -> Any:
        flag = p.indicator("flag", ("bool",))
        value = Decimal(points)
        return lambda values: Outcome(value, Text("Trừ điểm", "Deducted"), None, ((flag, 1),))

    rule = Rule(rule_name, bind, "fixed points", ("flag",))
    return SimpleNamespace(__name__=name, parrules_rules=parrules.hookimpl(lambda: [rule]))


def test_output_is_identical_whatever_the_plugin_order(tmp_path):
    (tmp_path / "r.yaml").write_text(
        "id: t/order/2023\ntitle: Thử\nyear: 2023\nmax: 2\n"
        "indicators: {f: {label: Cờ, type: bool}}\n"
        "nodes: [{code: '1', title: Lĩnh vực, max: 2, children: ["
        "{code: '1.1', title: Một, max: 1, rule: tinh.one, params: {flag: f}},"
        "{code: '1.2', title: Hai, max: 1, rule: tinh.two, params: {flag: f}}]}]\n",
        encoding="utf-8",
    )
    (tmp_path / "u.yaml").write_text(
        "unit: Xã A\nyear: 2023\nruleset: r.yaml\nindicators: {f: true}\n", encoding="utf-8"
    )
    one, two = provider("plugin_one", "tinh.one", "0.25"), provider("plugin_two", "tinh.two", "0.5")
    dumps = set()
    for plugins in ([one, two], [two, one]):
        registry = Registry.create(plugins=plugins, entry_points=False)
        parrules._ruleset._CACHE.clear()
        card = score_batch([tmp_path / "u.yaml"], registry=registry).cards[0]
        assert card.total == Decimal("0.75")
        dumps.add(json.dumps(card.to_dict(), ensure_ascii=False, indent=2))
    assert len(dumps) == 1


# `parrules rules` with a plugin that fails to import, installed as a real entry point.


GOOD_PLUGIN = """\
from decimal import Decimal
import parrules

def bind(p):
    return None

@parrules.hookimpl
def parrules_rules():
    return [parrules.Rule("tinh.fake", bind, "a rule from a fake plugin")]
"""


def test_parrules_rules_lists_a_plugin_that_fails_to_import_as_broken(tmp_path):
    site = tmp_path / "site"
    fake_distribution(site, "fake-broken", "broken = parrules_no_such_module_xyz")
    fake_distribution(site, "fake-good", "good = fake_good", GOOD_PLUGIN)
    run = run_cli("rules", seed="0", extra_path=str(site))
    stdout, stderr = run.stdout.decode(), run.stderr.decode()
    assert run.returncode == 1
    assert "Traceback" not in stderr
    assert stderr.splitlines() == [
        "parrules: plugin 'broken' is broken: ModuleNotFoundError: "
        "No module named 'parrules_no_such_module_xyz'"
    ]
    assert "tinh.fake" in stdout  # the others still load
    assert "ratio" in stdout

    unit = ROOT / "examples" / "thai-nguyen" / "binh-thanh-2023.yaml"
    scored = run_cli("score", str(unit), seed="0", extra_path=str(site))
    assert scored.returncode == 0, scored.stderr.decode()  # a broken plugin not used is harmless
