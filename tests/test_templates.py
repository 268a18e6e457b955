"""Reason templates are data: a ruleset's ``params.reason`` may name the values its rule gives,
never reach into them, and never pad a value to any width. Each template is checked when the
ruleset is loaded, with its file and line; nothing a template says can print the process's
environment or exhaust its memory."""

from __future__ import annotations

import datetime as dt
import os
import resource
import string
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parrules
from parrules import Text
from parrules._template import SPECS, Template, TemplateError, format_value, render
from parrules.errors import RulesetError

from helpers import ruleset_text

FUZZ = settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True
)
SECRET = "parrules-test-secret-3f9a1c"

RATIO = {"numerator": "a", "denominator": "b", "zero_denominator": "full"}
COUNTS = {"a": {"label": "Số đạt", "type": "count"}, "b": {"label": "Tổng số", "type": "count"}}


def ratio_ruleset(tmp_path: Path, reason: object, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(ruleset_text("ratio", {**RATIO, "reason": reason}, COUNTS), encoding="utf-8")
    return path


# Rendering: fields are looked up by name, and formatted by parrules, never by the value.


def test_a_template_fills_names_with_values_shown_the_readers_way():
    values = {"ratio": Decimal("0.4752"), "n": Decimal("19.86"), "day": dt.date(2023, 5, 25)}
    text = "{n} km, {ratio:%}, {day}, {{literal}}"
    assert render(text, values, "vi") == "19,86 km, 47,52%, 25/05/2023, {literal}"
    assert render(text, values, "en") == "19.86 km, 47.52%, 25/05/2023, {literal}"
    assert render("{t}", {"t": Text("một", "one")}, "en") == "one"


class Probe:
    """A value whose own formatting would run code: a template must never ask it to."""

    secret = SECRET

    def __format__(self, spec: str) -> str:
        return SECRET

    def __getitem__(self, key: object) -> str:
        return SECRET

    def __str__(self) -> str:
        return "probe"


@pytest.mark.parametrize(
    "template",
    [
        "{x.secret}",
        "{x[0]}",
        "{x[secret]}",
        "{x.__class__.__init__.__globals__}",
        "{x!r}",
        "{x!s}",
        "{x:>1500000000}",
        "{x:{y}}",
        "{x:,}",
        "{x:.2f}",
        "{0}",
        "{}",
        "{x",
        "x}",
        "{ x}",
        "{x-y}",
    ],
)
def test_anything_but_a_name_and_an_allowed_spec_is_refused(template):
    with pytest.raises(TemplateError):
        Template.parse(template)
    with pytest.raises(TemplateError):
        render(template, {"x": Probe(), "y": "1"}, "vi")


def test_a_value_is_never_formatted_by_its_own_code():
    assert render("{x}", {"x": Probe()}, "vi") == "probe"
    assert SECRET not in format_value([Probe()], "vi", "%")


def test_an_unknown_field_is_named():
    with pytest.raises(TemplateError, match=r"unknown field '\{ratoi\}'") as info:
        Template.parse("{ratoi}").check({"ratio", "target"})
    assert info.value.hint == "did you mean 'ratio'?"


# Generated templates: a field is a name with an allowed spec, or the template is refused.

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
accessors = st.lists(
    st.one_of(
        names.map(lambda n: f".{n}"),
        st.integers(0, 99).map(lambda i: f"[{i}]"),
        names.map(lambda n: f"[{n}]"),
    ),
    min_size=1,
    max_size=4,
).map("".join)
bad_specs = st.one_of(
    st.integers(1, 10**12).map(lambda w: f">{w}"),
    st.integers(1, 10**12).map(lambda w: f"{w}"),
    st.integers(1, 10**9).map(lambda w: f"x^{w}"),
    st.sampled_from([",", ".2f", "e", "d", "s", "010", "%%", "_", "=+10", "#x"]),
    st.text(string.printable, min_size=1, max_size=8).filter(lambda s: s not in SPECS),
).filter(lambda s: "{" not in s and "}" not in s)
hostile_fields = st.one_of(
    st.tuples(names, accessors).map(lambda t: "{" + t[0] + t[1] + "}"),
    st.tuples(names, bad_specs).map(lambda t: "{" + t[0] + ":" + t[1] + "}"),
    st.tuples(names, st.sampled_from("rsa")).map(lambda t: "{" + t[0] + "!" + t[1] + "}"),
    st.tuples(names, names).map(lambda t: "{" + t[0] + ":{" + t[1] + "}}"),
    st.integers(0, 9).map(lambda i: "{" + str(i) + "}"),
)
literals = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"), blacklist_characters="{}"),
    max_size=20,
)


@FUZZ
@given(before=literals, field=hostile_fields, after=literals)
def test_generated_hostile_templates_are_refused(before, field, after):
    with pytest.raises(TemplateError):
        Template.parse(before + field + after)


@FUZZ
@given(before=literals, field=hostile_fields, after=literals)
def test_generated_hostile_templates_are_refused_with_file_and_line(tmp_path, before, field, after):
    path = ratio_ruleset(tmp_path, before + field + after)
    with pytest.raises(RulesetError) as info:
        parrules.load_ruleset(path)
    error = info.value
    assert (error.path, error.code, error.field) == (str(path), "1.1", "params.reason")
    assert error.line is not None


@FUZZ
@given(
    pieces=st.lists(
        st.one_of(
            literals,
            st.sampled_from(["numerator", "denominator", "ratio", "target", "a", "b", "max"]).map(
                lambda n: "{" + n + "}"
            ),
            st.sampled_from(["ratio", "target"]).map(lambda n: "{" + n + ":%}"),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_generated_good_templates_load_and_render(tmp_path, pieces):
    template = "".join(pieces)
    if not template.strip():
        return
    ruleset = parrules.load_ruleset(ratio_ruleset(tmp_path, template))
    unit = parrules.unit_from_mapping({"unit": "Xã A", "indicators": {"a": 1, "b": 4}}, ruleset)
    reason = parrules.score(ruleset, unit).node("1.1").explain("vi").reason
    assert "{" not in reason
    assert "}" not in reason


# Checked when the ruleset loads: the error names file, line, node and field.


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("{numerator.__class__}", "'{numerator.__class__}' is not a field name"),
        ("{numerator:>1500000000}", "the format '>1500000000' is not allowed"),
        ({"vi": "Tỷ lệ {ratio:%}", "en": "{ratio[0]}"}, "'{ratio[0]}' is not a field name"),
        ("Tỷ lệ {ratoi}", "unknown field '{ratoi}' (did you mean 'ratio'?)"),
        ("{late_count}", "unknown field '{late_count}'"),
        ("Tỷ lệ {ratio", "expected '}' before end of string"),
        (["{ratio}"], "expected a text or a mapping with 'vi' and 'en'"),
        ({"vi": "{ratio}", "fr": "{ratio}"}, "expected a text or a mapping with 'vi' and 'en'"),
    ],
)
def test_a_bad_reason_template_is_a_located_ruleset_error(tmp_path, reason, message):
    path = ratio_ruleset(tmp_path, reason)
    with pytest.raises(RulesetError) as info:
        parrules.load_ruleset(path)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:")
    assert "node 1.1, field 'params.reason'" in str(info.value)


def test_a_reason_template_may_name_the_rules_values_its_indicators_max_and_points(tmp_path):
    reason = "{numerator}/{denominator} = {ratio:%} < {target:%}; a={a}, b={b}; {points}/{max}"
    ruleset = parrules.load_ruleset(ratio_ruleset(tmp_path, reason))
    unit = parrules.unit_from_mapping({"unit": "Xã A", "indicators": {"a": 1, "b": 4}}, ruleset)
    explained = parrules.score(ruleset, unit).node("1.1").explain("vi").reason
    assert explained == "1/4 = 25% < 100%; a=1, b=4; 0,25/1"


def test_every_built_in_rule_declares_the_values_its_documentation_names():
    """The reference lists each rule's template values; the rules declare the same names, so a
    template using a documented value loads."""
    reference = (Path(__file__).parent.parent / "docs" / "reference" / "rules.md").read_text()
    registry = parrules.Registry.create(entry_points=False)
    for rule in registry.rules.values():
        if rule.name == "appraised":
            continue
        section = reference.split(f"## `{rule.name}`", 1)[1].split("\n## ", 1)[0]
        documented = section.split("Template values:", 1)[1].split(".\n", 1)[0]
        for name in (w.strip("`,") for w in documented.split() if w.startswith("`")):
            assert name in rule.values, (rule.name, name)


# The whole way, through the command line: the secret stays in the environment.

HOSTILE_REASONS = [
    "{failed[0].get.__globals__[dt].sys.modules[os].environ}",
    "{failed[0].get.__globals__[dt].sys.modules[os].environ[PARRULES_TEST_SECRET]}",
    "{numerator.__class__.__init__.__globals__}",
    "{late_items[0].get.__globals__}",
    "{failed!r}",
    "{failed:>1500000000}",
    "{failed:{failed}}",
    "{0.__class__}",
]


def bounded() -> None:
    """What the hostile review allowed one run: 2 GB of memory, 20 s of processor time."""
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
    resource.setrlimit(resource.RLIMIT_CPU, (20, 20))


@pytest.mark.parametrize("reason", HOSTILE_REASONS)
def test_no_template_prints_the_environment(tmp_path, reason):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(
        ruleset_text(
            "check",
            {"all_of": ["co"], "reason": reason},
            {"co": {"label": "Có kế hoạch", "type": "bool"}},
        ),
        encoding="utf-8",
    )
    unit = tmp_path / "u.yaml"
    unit.write_text(
        "unit: Xã A\nyear: 2023\nruleset: r.yaml\nindicators: {co: false}\n", encoding="utf-8"
    )
    run = subprocess.run(
        [sys.executable, "-m", "parrules.cli", "explain", str(unit), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PARRULES_TEST_SECRET": SECRET},
        preexec_fn=bounded,
        timeout=120,
    )
    assert run.returncode == 1
    assert SECRET not in run.stdout + run.stderr
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1
    assert f"{ruleset}:" in run.stderr
    assert "field 'params.reason'" in run.stderr
