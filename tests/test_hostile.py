"""Hostile input: every file under tests/hostile/ is refused with its own located error, through
the API (the specific error class and message) and through the CLI (one line on stderr, no
traceback, a non-zero exit code). Files starting with ``_`` are helpers, not cases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import parrules
from parrules import Limits, Registry, yaml_limits
from parrules._numbers import parse_decimal
from parrules._yaml import load_text
from parrules.cli import main
from parrules.errors import (
    NotScoredError,
    ParRulesError,
    RulesetError,
    UnitError,
    UnknownNameError,
    UnknownRuleError,
    YamlError,
)

HOSTILE = Path(__file__).parent / "hostile"
ROOT = Path(__file__).parent.parent

# file → (error class, fragment of its message). Unit files name ../data/mini.yaml; files named
# ruleset-* are rulesets.
CASES: dict[str, tuple[type[ParRulesError], str]] = {
    "syntax-error.yaml": (YamlError, "syntax-error.yaml:11: not valid YAML"),
    "duplicate-key.yaml": (YamlError, "duplicate key 'tthc_thanh_toan' (first on line 6)"),
    "duplicate-key-nfc.yaml": (YamlError, "duplicate key 'khiển_trách'"),
    "alias-bomb.yaml": (YamlError, "anchors (&a) are not accepted"),
    "merge-key.yaml": (YamlError, "merge keys (<<) are not accepted"),
    "deep-nesting.yaml": (YamlError, "nesting deeper than 64 levels"),
    "not-utf8.yaml": (YamlError, "not-utf8.yaml:2: not UTF-8 text (byte 0xe9)"),
    "utf16.yaml": (YamlError, "not UTF-8 text"),
    "control-character.yaml": (YamlError, "the character U+0000 is not allowed"),
    "python-tag.yaml": (YamlError, "python/object/apply:os.system' is not accepted"),
    "custom-tag.yaml": (YamlError, "the tag '!include' is not accepted"),
    "nan.yaml": (YamlError, "nan.yaml:9: '.nan' is not a finite number"),
    "infinity.yaml": (YamlError, "'-.inf' is not a finite number"),
    "nan-text.yaml": (UnitError, "field 'duong_ngo': 'NaN' is not a number"),
    "huge-number.yaml": (YamlError, "has more than 28 digits"),
    "tiny-number.yaml": (YamlError, "has more than 28 digits"),
    "thousands-separators.yaml": (UnitError, "thousands separators are not accepted"),
    "thousands-spaces.yaml": (UnitError, "'1 339' is not a number: thousands separators"),
    "count-with-decimals.yaml": (UnitError, "'1.000' is a count written with decimals"),
    "leading-zero.yaml": (UnitError, "'046' is not a number: it starts with a 0"),
    "sexagesimal.yaml": (UnitError, "'1:30' is not a number"),
    "exponent.yaml": (UnitError, "'2.126e+1' is not a number"),
    "yes-as-bool.yaml": (UnitError, "'yes' is not true or false"),
    "negative-count.yaml": (UnitError, "negative-count.yaml:6, field 'tthc_thanh_toan': -3 is not"),
    "negative-event.yaml": (UnitError, "'khien_trach': -1 is not a count"),
    "numerator-above-denominator.yaml": (
        UnitError,
        "above-denominator.yaml:6, node 2.1, field 'tthc_thanh_toan': stage 'final': "
        "tthc_thanh_toan (50) is greater than tthc_trien_khai (46)",
    ),
    "impossible-date.yaml": (UnitError, "'due': '31/02/2023' is not a real date"),
    "impossible-iso-date.yaml": (YamlError, "iso-date.yaml:13: '2023-02-31' is not a real date"),
    "dates-wrong-order.yaml": (UnitError, "'sent' (2023-05-20) is before 'dated'"),
    "misspelled-indicator.yaml": (UnknownNameError, "did you mean 'tthc_thanh_toan'?"),
    "misspelled-code.yaml": (UnknownNameError, "no node '2,3' (did you mean '2.3'?)"),
    "misspelled-top-key.yaml": (UnitError, "unknown key 'indicator' (did you mean 'indicators'?)"),
    "unknown-event-kind.yaml": (UnitError, "node 1.3, field 'ky_luat'"),
    "wrong-type-indicators.yaml": (UnitError, "wrong-type-indicators.yaml:5, field 'indicators'"),
    "wrong-type-points.yaml": (UnitError, "'bốn' is not a number"),
    "wrong-type-by.yaml": (UnitError, "'by' must be a text"),
    "points-above-max.yaml": (UnitError, "node 2.3, field 'points': 5 is outside 0–4.5"),
    "points-without-reason.yaml": (UnitError, "4 of 4.5 needs a 'reason'"),
    "missing-ruleset.yaml": (UnknownNameError, "did you mean 'thai-nguyen/commune/2023'?"),
    "year-mismatch.yaml": (UnitError, "the unit is for 2024 but the ruleset"),
    "year-as-text.yaml": (UnitError, "'year' must be a year like 2023"),
    "missing-unit-key.yaml": (UnitError, "the unit file has no 'unit'"),
    "empty-unit-name.yaml": (UnitError, "'unit' must be the unit's name"),
    "empty-file.yaml": (UnitError, "a unit file must be a YAML mapping"),
    "top-level-list.yaml": (UnitError, "a unit file must be a YAML mapping"),
    "two-documents.yaml": (YamlError, "expected a single document"),
    "appraised-leaf-missing.yaml": (NotScoredError, "no points for the appraised node(s) 2.3"),
    "missing-indicator.yaml": (UnitError, "has no value for tthc_trien_khai"),
    "unknown-stage.yaml": (UnitError, "unknown stage 'apraisal' (did you mean 'appraisal'?)"),
    "ruleset-extends-self.yaml": (RulesetError, "'extends' forms a cycle"),
    "ruleset-extends-cycle.yaml": (RulesetError, "_cycle-partner.yaml → "),
    "ruleset-extends-missing.yaml": (RulesetError, "parent ruleset 'khong-ton-tai.yaml' is not"),
    "ruleset-unknown-rule.yaml": (UnknownRuleError, "unknown rule 'ratoi' (did you mean 'ratio'?)"),
    "ruleset-duplicate-code.yaml": (RulesetError, "duplicate code '1.1' (first on line 11)"),
    "ruleset-nan-max.yaml": (YamlError, "'.NaN' is not a finite number"),
    # Text a reader cannot see, or that changes what the text around it shows.
    "control-escape.yaml": (YamlError, "escape.yaml:2: the character U+001B (a control"),
    "nul-escape.yaml": (YamlError, "nul-escape.yaml:15: the character U+0000"),
    "line-separator-escape.yaml": (YamlError, "the character U+2028 (LINE SEPARATOR)"),
    "surrogate-escape.yaml": (YamlError, "surrogate-escape.yaml:2: "),
    "zero-width-name.yaml": (YamlError, "name.yaml:2: the character U+200B (ZERO WIDTH SPACE)"),
    "bidi-override-reason.yaml": (YamlError, "U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed"),
    "soft-hyphen.yaml": (YamlError, "soft-hyphen.yaml:10: the character U+00AD (SOFT HYPHEN)"),
    "ruleset-control-title.yaml": (YamlError, "title.yaml:24: the character U+0007"),
    # What libyaml accepted and the Python parser did not: refused by both.
    "tab-after-key.yaml": (YamlError, "tab-after-key.yaml:6: a tab character"),
    "byte-order-mark-inside.yaml": (YamlError, "inside.yaml:10: a byte-order mark (U+FEFF)"),
    "flow-question-mark.yaml": (YamlError, "flow-question-mark.yaml:10: "),
    "block-comment.yaml": (YamlError, "block-comment.yaml:17: "),
    # Numbers shown otherwise than they are classified.
    "points-finer-than-precision.yaml": (
        UnitError,
        "precision.yaml:15, node 2.3, field 'points': '4.49996' has more decimals than the "
        "ruleset keeps (4, its 'precision')",
    ),
    # Rulesets: one bad one costs the units that use it, with its own file and line.
    "long-ruleset-name.yaml": (UnknownNameError, "(file name too long: give a ruleset id or"),
    "ruleset-template-environment.yaml": (
        RulesetError,
        "environment.yaml:28, node 1.1, field 'params.reason': '{failed[0].get.__globals__"
        "[dt].sys.modules[os].environ}' is not a field name",
    ),
    "ruleset-template-width.yaml": (RulesetError, "the format '>1500000000' is not allowed"),
    "ruleset-template-unknown-field.yaml": (
        RulesetError,
        "field.yaml:33, node 1.2, field 'params.reason': unknown field '{late_cout}' (did you "
        "mean 'late_count'?)",
    ),
    "ruleset-owner-list.yaml": (RulesetError, "list.yaml:26, node 1, field 'owner': 'owner' must"),
    "ruleset-title-en-list.yaml": (RulesetError, "node 2, field 'title_en': 'title_en' must be"),
    "ruleset-label-en-list.yaml": (RulesetError, "list.yaml:11, field 'label_en': 'label_en' must"),
    "ruleset-extends-list-indicators.yaml": (
        RulesetError,
        "_parent-list-indicators.yaml:6, field 'indicators': 'indicators' must be a mapping",
    ),
    "ruleset-extends-bad-nodes.yaml": (
        RulesetError,
        "_parent-bad-nodes.yaml:6, field 'nodes': each node must be a mapping",
    ),
    "ruleset-extends-nodes-mapping.yaml": (
        RulesetError,
        "_parent-nodes-mapping.yaml:6, field 'nodes': 'nodes' must be a list of nodes",
    ),
    "ruleset-extends-deep.yaml": (RulesetError, "deep.yaml:16, node 1.1.1.1.1.1.1.1.1.1.1.1.1"),
}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.create(entry_points=False)


def load_and_score(path: Path, registry: Registry) -> None:
    if path.name.startswith("ruleset-"):
        parrules.load_ruleset(path, registry=registry)
        return
    unit = parrules.load_unit(path, registry=registry)
    parrules.score(parrules.load_ruleset(unit.ruleset_path or "", registry=registry), unit)


def test_every_file_of_the_corpus_is_a_case():
    on_disk = {p.name for p in HOSTILE.iterdir() if not p.name.startswith("_")}
    assert on_disk == set(CASES)


def test_the_unit_the_cases_depart_from_is_valid(registry):
    """So that each case fails for its own defect, not for one they all share."""
    load_and_score(HOSTILE / "_valid.yaml", registry)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_api_raises_the_specific_error(name, registry):
    cls, fragment = CASES[name]
    with pytest.raises(cls) as info:
        load_and_score(HOSTILE / name, registry)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def cli_target(name: str, tmp_path: Path) -> Path:
    """A ruleset case goes through the CLI as the ruleset of a unit."""
    path = HOSTILE / name
    if not name.startswith("ruleset-"):
        return path
    unit = tmp_path / "unit.yaml"
    unit.write_text(f"unit: Xã A\nyear: 2023\nruleset: {path}\n", encoding="utf-8")
    return unit


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_cli_prints_one_line_and_fails(name, tmp_path, capsys):
    code = main(["score", str(cli_target(name, tmp_path))])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("parrules: ")
    assert CASES[name][1] in err


def test_the_whole_corpus_in_one_run_prints_no_traceback():
    """Files that load but fail when scored all describe the same unit, so in one batch they are
    reported as duplicates of each other: still one line each."""
    units = [str(HOSTILE / n) for n in sorted(CASES) if not n.startswith("ruleset-")]
    run = subprocess.run(
        [sys.executable, "-m", "parrules.cli", "score", *units],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == len(units)
    assert all(line.startswith("parrules: ") for line in lines)


def test_good_units_mixed_with_the_whole_corpus_give_their_cards_unchanged(tmp_path):
    """Every case, rulesets included (each named by a unit of its own), between two good units:
    the good units' cards are those they give alone, and each case is one line on stderr."""
    good = [
        str(ROOT / "examples" / "thai-nguyen" / "binh-thanh-2023.yaml"),
        str(ROOT / "examples" / "gia-lai" / "dak-po-2020.yaml"),
    ]
    cases = []
    for name in sorted(CASES):
        if name.startswith("ruleset-"):
            unit = tmp_path / f"unit-{name}"
            unit.write_text(
                f"unit: Xã {name}\nyear: 2023\nruleset: {HOSTILE / name}\n", encoding="utf-8"
            )
            cases.append(str(unit))
        else:
            cases.append(str(HOSTILE / name))

    def run(*units: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "parrules.cli", "score", "--format", "json", *units]
        return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)

    alone = run(*good)
    mixed = run(good[0], *cases, good[1])
    assert alone.returncode == 0
    assert mixed.returncode == 1
    assert mixed.stdout == alone.stdout
    assert "Traceback" not in mixed.stderr
    lines = mixed.stderr.splitlines()
    assert len(lines) == len(cases)
    assert all(line.startswith("parrules: ") for line in lines)


# Cases generated at test time: too large to keep in the repository (the node limit is in
# test_fuzz_loaders.py).


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path, capsys):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * (Limits().max_bytes + 10) + "\n", encoding="utf-8")
    with pytest.raises(YamlError, match="larger than the limit of 1048576 bytes"):
        parrules.load_unit(path)
    assert main(["score", str(path)]) == 1
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("reported", [0, 10])
def test_a_file_longer_than_its_size_says_is_read_whole_and_bounded(
    tmp_path, registry, monkeypatch, reported
):
    # a file that grew after its size was read, or one of /proc (size 0): neither cut short
    # nor read past the limit
    real = os.fstat

    def fstat(fd: int) -> os.stat_result:
        found = real(fd)
        return os.stat_result((*found[:6], reported, *found[7:]))

    monkeypatch.setattr("parrules._files.os.fstat", fstat)
    path = HOSTILE / "_valid.yaml"
    assert parrules.load_unit(path, registry=registry).unit == "Huyện Thử Nghiệm"
    size = path.stat().st_size
    with yaml_limits(Limits(max_bytes=size)):
        assert parrules.load_unit(path, registry=registry).unit == "Huyện Thử Nghiệm"
    with yaml_limits(Limits(max_bytes=size - 1)), pytest.raises(YamlError, match="the limit"):
        parrules.load_unit(path, registry=registry)


def test_a_named_pipe_or_a_device_is_refused_without_waiting(tmp_path):
    pipe, sheet = tmp_path / "pipe.yaml", tmp_path / "pipe.csv"
    os.mkfifo(pipe)  # no writer: reading it would wait for ever
    os.mkfifo(sheet)
    unit = tmp_path / "u.yaml"
    unit.write_text(f"unit: Xã A\nyear: 2023\nruleset: {os.devnull}\n", encoding="utf-8")
    for target, message in (
        (pipe, "pipe.yaml: not a regular file"),
        (sheet, "pipe.csv: not a regular file"),
        (unit, "is not found"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "parrules.cli", "score", str(target)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert run.returncode == 1
        assert run.stderr.count("\n") == 1
        assert message in run.stderr


def test_limits_are_configurable(tmp_path, registry):
    path = HOSTILE / "_valid.yaml"
    with yaml_limits(Limits(max_bytes=100)), pytest.raises(YamlError, match="limit of 100 bytes"):
        parrules.load_unit(path, registry=registry)
    with yaml_limits(Limits(max_nodes=10)), pytest.raises(YamlError, match="more than 10 values"):
        parrules.load_unit(path, registry=registry)
    with yaml_limits(Limits(max_depth=2)), pytest.raises(YamlError, match="deeper than 2"):
        parrules.load_unit(path, registry=registry)
    assert parrules.load_unit(path, registry=registry).unit == "Huyện Thử Nghiệm"


def test_a_file_that_cannot_be_read_is_an_error(tmp_path):
    with pytest.raises(YamlError, match="cannot read the file"):
        parrules.load_unit(tmp_path / "khong-co.yaml")
    with pytest.raises(YamlError, match="cannot read the file"):
        parrules.load_unit(tmp_path)


# YAML 1.1 surprises: plain scalars follow YAML 1.2, so they keep the meaning a person reads.


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("1:30", "1:30"),  # base 60 in YAML 1.1: 90
        ("010", "010"),  # octal in YAML 1.1: 8
        ("0x1F", "0x1F"),
        ("1_000", "1_000"),
        ("1e3", "1e3"),
        ("=", "="),
        ("2024-01-08 10:00", "2024-01-08 10:00"),
        ("true", True),
        ("False", False),
        ("12", 12),
        ("-0", 0),
        ("~", None),
    ],
)
def test_plain_scalars_follow_yaml_1_2(written, value):
    loaded = load_text(f"x: {written}\n")["x"]
    assert loaded == value
    assert type(loaded) is type(value)


@pytest.mark.parametrize(
    ("written", "text"),
    [
        ("0.1", "0.1"),
        ("14.49", "14.49"),
        ("16.1", "16.1"),
        ("19.860", "19.860"),
        ("-.5", "-0.5"),
        ("1.", "1"),
    ],
)
def test_yaml_floats_are_read_through_their_text(written, text):
    value = load_text(f"x: {written}\n")["x"]
    assert isinstance(value, Decimal)
    assert value == Decimal(text)
    assert value.as_tuple() == Decimal(written).as_tuple()  # the written digits, kept


@pytest.mark.parametrize("written", ["0.1", "14.49", "16.1", "21.26"])
def test_yaml_floats_never_pass_through_binary_floating_point(written):
    value = load_text(f"x: {written}\n")["x"]
    assert value == Decimal(written)
    assert value != Decimal(float(written))  # what a float round trip would have given


def test_keys_written_as_numbers_stay_as_written():
    assert list(load_text('1.10: a\n2: b\n"3.0": c\n')) == ["1.10", "2", "3.0"]


# Numbers: one reading only (documented in docs/reference/unit-file.md).


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("19,86", "19.86"),
        ("19.86", "19.86"),
        (" 19,86 ", "19.86"),
        ("7,409", "7.409"),  # three decimals with a decimal comma: a published score (seed 001)
        ("0,5", "0.5"),
        (",5", "0.5"),
        ("-2", "-2"),
        ("0", "0"),
    ],
)
def test_numbers_accepted(written, value):
    assert parse_decimal(written) == Decimal(value)


@pytest.mark.parametrize(("written", "value"), [("93,4%", "0.934"), ("93,4 %", "0.934")])
def test_percentages_accepted_where_a_fraction_is_expected(written, value):
    assert parse_decimal(written, percent=True) == Decimal(value)
    with pytest.raises(ValueError, match="is not a number"):
        parse_decimal(written)


@pytest.mark.parametrize(
    ("written", "fragment"),
    [
        ("1.234,5", "thousands separators"),
        ("1,234.5", "thousands separators"),
        ("1.234.567", "thousands separators"),
        ("1 339", "thousands separators"),
        ("007", "starts with a 0"),
        ("1e5", "is not a number"),
        ("NaN", "is not a number"),
        ("Infinity", "is not a number"),
        ("١٢", "is not a number"),  # digits of another script
        ("", "is not a number"),
        ("9" * 29, "more than 28 digits"),
        (True, "expected a number, got true"),
        (None, "expected a number, got nothing"),
        (Decimal("NaN"), "not a finite number"),
        (float("inf"), "not a finite number"),
        (10**100, "more than 28 digits"),
    ],
)
def test_numbers_refused(written, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_decimal(written)


def test_a_long_hostile_value_is_shortened_in_the_message():
    with pytest.raises(ValueError, match="is not a number") as info:
        parse_decimal("x" * 10_000)
    assert len(str(info.value)) < 200


# Vietnamese text arrives NFC whatever form it was typed in.


def test_names_labels_and_reasons_are_nfc(tmp_path, registry):
    nfd = unicodedata.normalize("NFD", "Xã Bình Thành")
    assert nfd != "Xã Bình Thành"
    reason = unicodedata.normalize("NFD", "Trang thông tin chưa cập nhật")
    path = tmp_path / "u.yaml"
    path.write_text(
        f"unit: {nfd}\nyear: 2023\nruleset: {HOSTILE.parent / 'data' / 'mini.yaml'}\n"
        "indicators: {tthc_thanh_toan: 1, tthc_trien_khai: 2, duong_ngo_bt: 1, duong_ngo: 1,"
        " ky_luat: {}, co_ke_hoach: true, bao_cao: []}\n"
        f"points: {{'2.3': {{points: 4, reason: {reason}}}}}\n",
        encoding="utf-8",
    )
    unit = parrules.load_unit(path, registry=registry)
    assert unit.unit == "Xã Bình Thành"
    card = parrules.score(parrules.load_ruleset(unit.ruleset_path or "", registry=registry), unit)
    assert card.node("2.3").explain().reason == "Trang thông tin chưa cập nhật"


def test_ruleset_titles_and_labels_are_nfc(tmp_path, registry):
    nfd_title = unicodedata.normalize("NFD", "Chỉ đạo điều hành")
    nfd_label = unicodedata.normalize("NFD", "Có kế hoạch")
    path = tmp_path / "r.yaml"
    path.write_text(
        "id: t/nfc/2023\ntitle: Thử\nyear: 2023\nmax: 1\n"
        f"indicators: {{a: {{label: {nfd_label}, type: bool}}}}\n"
        f"nodes: [{{code: '1', title: {nfd_title}, max: 1,"
        " children: [{code: '1.1', title: x, max: 1, rule: check, params: {all_of: [a]}}]}]\n",
        encoding="utf-8",
    )
    ruleset = parrules.load_ruleset(path, registry=registry)
    assert ruleset.node("1").title == "Chỉ đạo điều hành"
    assert ruleset.indicators["a"].label == "Có kế hoạch"


def test_a_tab_in_the_indentation_is_named():
    with pytest.raises(YamlError) as error:
        load_text("unit: Xã A\nindicators:\n\ttthc: 1\n", "tab.yaml")
    assert error.value.line == 3
    assert "a tab character" in str(error.value)


_DUMP = """
import datetime, decimal, json, sys
from pathlib import Path
{block}
from parrules import _yaml
from parrules.errors import YamlError

def plain(value):
    if isinstance(value, dict):
        return {{"@": [value.line, value.lines], **{{k: plain(v) for k, v in value.items()}}}}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value if isinstance(value, (str, int, bool, type(None))) else repr(value)

out = {{"parser": _yaml._Loader.__name__}}
for path in sys.argv[1:]:
    try:
        out[path] = plain(_yaml.load_file(Path(path)))
    except YamlError as exc:
        out[path] = [exc.line, type(exc).__name__]
print(json.dumps(out))
"""


def test_without_libyaml_the_same_data_lines_and_errors():
    """PyYAML built without libyaml parses in Python: the same values, lines and refusals."""
    root = Path(__file__).parent.parent
    files = sorted(
        str(p)
        for folder in (HOSTILE, root / "src" / "parrules" / "rulesets", root / "examples")
        for p in folder.rglob("*.yaml")
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", _DUMP.format(block=block), *files],
                capture_output=True,
                check=True,
                text=True,
            ).stdout
        )
        for block in ("", "sys.modules['yaml._yaml'] = None")
    ]
    with_c, without = runs
    assert (with_c.pop("parser"), without.pop("parser")) == ("_CLoader", "_PyLoader")
    assert len(with_c) > 80
    assert with_c == without


# Through the Python API, a mapping is checked as a file is.

UNIT = {"unit": "Xã A", "indicators": {"co_ke_hoach": True}, "points": {"2.3": 4.5}}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"points": {8: 1}}, "field 'points': the key 8 is not a text (write it as text: \"8\")"),
        ({"indicators": {5: 1}}, "field 'indicators': the key 5 is not a text"),
        ({"indicators": {"ky_luat": {1: 1}}}, "field 'indicators.ky_luat': the key 1 is not"),
        (
            {
                "indicators": {
                    "ky_luat": {"khiển_trách": 1, unicodedata.normalize("NFD", "khiển_trách"): 3}
                }
            },
            "field 'indicators.ky_luat': the key 'khiển_trách' is given twice",
        ),
        ({"unit": "Xã\u200bA"}, "field 'unit': the character U+200B (ZERO WIDTH SPACE)"),
        ({"unit": "Xã A\nTổng: 100"}, "'unit' must be the unit's name, as a text on one line"),
        ({"unit": "Xã \x1b[2JA"}, "the character U+001B (a control character)"),
        ({"points": {"2.3": {"points": 4, "reason": "a\u202eb"}}}, "field 'points.2.3.reason'"),
        (
            {"stages": {"appraisal": {"points": {"2.3": {"points": 4, "reason": "a\u200bb"}}}}},
            "field 'stages.appraisal.points.2.3.reason': the character U+200B",
        ),
        (
            {"stages": {"final": {"indicators": {"ky_luat": {"khiển\u200b_trách": 1}}}}},
            "field 'stages.final.indicators.ky_luat': the character U+200B",
        ),
        ({"indicators": {"ky_luat\u200b": 1}}, "field 'indicators': the character U+200B"),
        ({"ruleset": "thai-nguyen/commune/2023"}, "names the ruleset 'thai-nguyen/commune/2023'"),
        ({"ruleset": "khac.yaml"}, "but is scored with 'test/mini/2023'"),
        ({"ruleset": 5}, "field 'ruleset': the unit names the ruleset 5"),
        ({"points": {"2.3": {"points": "4,49996", "reason": "x"}}}, "has more decimals"),
    ],
)
def test_the_api_refuses_what_a_file_could_not_say(change, fragment, registry):
    ruleset = parrules.load_ruleset(HOSTILE.parent / "data" / "mini.yaml", registry=registry)
    with pytest.raises(UnitError) as info:
        parrules.unit_from_mapping({**UNIT, **change}, ruleset)
    assert fragment in str(info.value)


def test_an_entry_seen_before_does_not_let_a_hidden_character_through(registry):
    """Appraised entries are checked on first sight and remembered: a hidden character makes
    another entry, checked and refused; the same text in NFD is the NFC one's appraisal."""
    ruleset = parrules.load_ruleset(HOSTILE.parent / "data" / "mini.yaml", registry=registry)
    seen = {**UNIT, "points": {"2.3": {"points": 4, "reason": "Thiếu hồ sơ"}}}
    first = parrules.unit_from_mapping(seen, ruleset).stage().points["2.3"]
    hostile = {**UNIT, "points": {"2.3": {"points": 4, "reason": "Thiếu\u202e hồ sơ"}}}
    with pytest.raises(UnitError) as info:
        parrules.unit_from_mapping(hostile, ruleset)
    assert "field 'points.2.3.reason': the character U+202E" in str(info.value)
    nfd = unicodedata.normalize("NFD", "Thiếu hồ sơ")
    again = {**UNIT, "points": {"2.3": {"points": 4, "reason": nfd}}}
    assert parrules.unit_from_mapping(again, ruleset).stage().points["2.3"] == first


def test_the_api_normalises_text_as_the_loader_does(registry):
    ruleset = parrules.load_ruleset(HOSTILE.parent / "data" / "mini.yaml", registry=registry)
    nfd = unicodedata.normalize("NFD", "Xã Bình Thành")
    reason = "Chưa cập nhật\r\nlần hai"  # a sheet cell's line break
    data = {**UNIT, "unit": nfd, "points": {"2.3": {"points": 4, "reason": reason}}}
    unit = parrules.unit_from_mapping(data, ruleset)
    assert unit.unit == "Xã Bình Thành"
    assert unit.stage().points["2.3"].reason == "Chưa cập nhật\nlần hai"
    same = {**UNIT, "ruleset": "test/mini/2023"}
    assert parrules.unit_from_mapping(same, ruleset).unit == "Xã A"
    by_path = {**UNIT, "ruleset": "../data/mini.yaml"}
    path = str(HOSTILE / "u.yaml")
    assert parrules.unit_from_mapping(by_path, ruleset, path=path).unit == "Xã A"


def test_a_mapping_nested_too_deep_is_refused(registry):
    ruleset = parrules.load_ruleset(HOSTILE.parent / "data" / "mini.yaml", registry=registry)
    deep: dict[str, object] = {}
    for _ in range(2000):
        deep = {"x": deep}
    with pytest.raises(UnitError, match="nesting deeper than 64 levels"):
        parrules.unit_from_mapping({**UNIT, "remedies": deep}, ruleset)
    looped: dict[str, object] = {}
    looped["x"] = looped
    with pytest.raises(UnitError, match="nesting deeper than 64 levels"):
        parrules.unit_from_mapping({**UNIT, "remedies": looped}, ruleset)


@given(length=st.integers(1, 600), letter=st.sampled_from(["A", "ệ", "Xã ", "𝔸"]))
@settings(max_examples=40, deadline=None)
def test_a_unit_name_longer_than_a_name_is_refused(length, letter, registry):
    """A name is a cell, a heading and a sheet name in every report: at most 255 characters."""
    ruleset = parrules.load_ruleset(HOSTILE.parent / "data" / "mini.yaml", registry=registry)
    name = (letter * length)[:length].strip() or "A"
    data = {**UNIT, "unit": name}
    if len(name) <= 255:
        assert parrules.unit_from_mapping(data, ruleset).unit == name
        return
    with pytest.raises(UnitError) as info:
        parrules.unit_from_mapping(data, ruleset, path="u.yaml")
    assert f"field 'unit': the unit's name is {len(name):,} characters long" in str(info.value)
