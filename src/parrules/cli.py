"""The ``parrules`` command: parse arguments, call the API, print. Errors go to stderr, one line
each; the exit code is 0 only when everything asked for was done."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from . import __version__
from ._batch import score_batch, write_atomic
from ._engine import score
from ._model import Explanation, NodeResult, ScoreCard, format_value
from ._numbers import fmt
from ._plugins import Registry, default_registry
from ._ruleset import known_ids, load_ruleset
from ._units import load_unit
from .analysis.diff import diff_rulesets
from .analysis.plan import METHOD, Plan, plan
from .errors import ParRulesError, one_line

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

LABELS = {
    "vi": {
        "code": "Mã",
        "title": "Lĩnh vực, tiêu chí",
        "max": "Điểm tối đa",
        "owner": "Phụ trách",
        "self": "Tự đánh giá",
        "appraisal": "Thẩm định",
        "final": "Điểm cuối cùng",
        "total": "Tổng điểm",
        "lost": "Điểm trừ",
        "reason": "Lý do",
        "formula": "Cách tính",
        "inputs": "Số liệu",
        "class": "Xếp loại",
        "register": "Các nội dung bị mất điểm",
        "source": "Nguồn",
    },
    "en": {
        "code": "Code",
        "title": "Field, criterion",
        "max": "Max",
        "owner": "Responsible",
        "self": "Self-assessment",
        "appraisal": "Appraisal",
        "final": "Final",
        "total": "Total",
        "lost": "Lost",
        "reason": "Reason",
        "formula": "Formula",
        "inputs": "Inputs",
        "class": "Classification",
        "register": "Lost points",
        "source": "Source",
    },
}


def _card_table(card: ScoreCard, lang: str) -> str:
    t = LABELS[lang]
    places = card.ruleset.display_precision
    stages = card.stages
    rows = []
    for node in card.ruleset.flat:
        depth = node.code.count(".")
        title = "  " * depth + node.get_title(lang)
        points = [_points(s.get(node.code), lang) for s in stages]
        rows.append([node.code, title, fmt(node.max, lang), *points])
    rows.append(
        ["", t["total"], fmt(card.ruleset.max, lang), *(fmt(s.total, lang, places) for s in stages)]
    )
    classes = [s.classification.get(lang) if s.classification else "" for s in stages]
    if any(classes):
        rows.append(["", t["class"], "", *classes])
    headers = [t["code"], t["title"], t["max"], *(t.get(s.stage, s.stage) for s in stages)]
    return tabulate(
        rows,
        headers,
        tablefmt="simple",
        disable_numparse=True,
        colalign=("left", "left", *("right",) * (1 + len(stages))),
    )


def _points(result: NodeResult | None, lang: str) -> str:
    return "—" if result is None else fmt(result.points, lang)


def _register(card: ScoreCard, stage: str | None, lang: str, detail: bool) -> str:
    t = LABELS[lang]
    result = card.stage(stage)
    rows = []
    for d in result.deductions:
        explanation = d.result.explain(lang)
        row = [d.code, d.node.get_title(lang), fmt(d.lost, lang), explanation.reason]
        if detail:
            inputs = "; ".join(f"{k} = {format_value(v, lang)}" for k, v in explanation.inputs)
            row += [inputs, explanation.formula or ""]
        rows.append(row)
    total = sum((d.lost for d in result.deductions), start=result.max - result.max)
    rows.append(["", t["total"], fmt(total, lang), ""] + (["", ""] if detail else []))
    headers = [t["code"], t["title"], t["lost"], t["reason"]]
    if detail:
        headers += [t["inputs"], t["formula"]]
    return f"{t['register']} ({t.get(result.stage, result.stage)})\n" + tabulate(
        rows,
        headers,
        tablefmt="simple",
        disable_numparse=True,
        maxcolwidths=[None, 40, None, 40, 40, 40][: len(headers)],
    )


def _cmd_score(args: argparse.Namespace, registry: Registry, explain: bool) -> int:
    def render(card: ScoreCard) -> str:
        if args.stage:
            card.stage(args.stage)
        if args.format == "json":
            data = card.to_dict(args.lang)
            if args.stage:
                data["stages"] = [s for s in data["stages"] if s["stage"] == args.stage]
            return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        return (
            f"{card.unit.unit} — {card.ruleset.title}\n{_card_table(card, args.lang)}\n\n"
            f"{_register(card, args.stage, args.lang, detail=explain)}\n"
        )

    batch = score_batch(args.units, registry=registry, render=render)
    text = "".join(r.output or "" for r in batch.results)
    if args.output:
        try:
            write_atomic(Path(args.output), text)
        except OSError as exc:
            print(f"parrules: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILED
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    for failure in batch.failures:
        print(f"parrules: {one_line(failure.message)}", file=sys.stderr)
    return EXIT_FAILED if batch.failures else EXIT_OK


def _cmd_rules(args: argparse.Namespace, registry: Registry) -> int:
    rows = [[r.name, r.plugin, ", ".join(r.params), r.summary] for r in registry.rules.values()]
    print(tabulate(rows, ["rule", "plugin", "params", "computes"], tablefmt="simple"))
    for broken in registry.broken:
        print(
            f"parrules: plugin '{broken.name}' is broken: {one_line(broken.error)}", file=sys.stderr
        )
    return EXIT_FAILED if registry.broken else EXIT_OK


def _cmd_rulesets(args: argparse.Namespace, registry: Registry) -> int:
    for ruleset_id in known_ids(registry):
        print(ruleset_id)
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace, registry: Registry) -> int:
    from ._validate import ERROR, validate

    errors = warnings = 0
    for ref in args.rulesets:
        for finding in validate(ref, registry=registry):
            print(finding)
            errors += finding.severity == ERROR
            warnings += finding.severity != ERROR
    print(f"{len(args.rulesets)} ruleset(s): {errors} error(s), {warnings} warning(s)")
    return EXIT_FAILED if errors or (args.strict and warnings) else EXIT_OK


PLAN_LABELS = {
    "vi": {
        "steps": "Các bước khôi phục điểm (mỗi con số đã được kiểm chứng bằng cách chấm lại)",
        "indicator": "Chỉ tiêu",
        "now": "Hiện tại",
        "needed": "Cần đạt",
        "change": "Thay đổi",
        "points": "Điểm khôi phục",
        "recoverable": "Tổng điểm có thể khôi phục",
        "check": "Kiểm chứng (cách tính hiện tại → sau thay đổi)",
        "unplanned": "Không tính được",
        "none": "Không có bước nào tính được.",
        "rank": "Xếp hạng hiện tại: {rank}/{units}. Mục tiêu: hạng {goal}",
        "class": "Mục tiêu: xếp loại {goal}",
        "gap": "cần {needed} điểm (thêm {gap})",
        "after": "Sau các bước {codes}: {total} điểm",
        "reached": "đạt mục tiêu",
        "missed": "chưa đạt mục tiêu: các bước tính được không đủ",
    },
    "en": {
        "steps": "Steps to recover points (every figure verified by re-scoring)",
        "indicator": "Indicator",
        "now": "Now",
        "needed": "Needed",
        "change": "Change",
        "points": "Points recovered",
        "recoverable": "Total recoverable",
        "check": "Check (formula now → after the change)",
        "unplanned": "Not computable",
        "none": "No computable step.",
        "rank": "Current rank: {rank}/{units}. Target: rank {goal}",
        "class": "Target: class {goal}",
        "gap": "needs {needed} points ({gap} more)",
        "after": "After the steps {codes}: {total} points",
        "reached": "target reached",
        "missed": "target not reached: the computable steps are not enough",
    },
}


def _wrapped(rows: list[list[str]], width: int) -> list[list[str]]:
    """Cells wrapped beforehand: tabulate's own wrapping reads ``307,709`` as a number."""
    return [["\n".join(textwrap.wrap(cell, width)) or cell for cell in row] for row in rows]


def _formula(explanation: Explanation) -> str:
    return explanation.formula or explanation.reason


def _plan_text(result: Plan, lang: str) -> str:
    t, p = LABELS[lang], PLAN_LABELS[lang]
    card = result.card
    band = card.classification
    lines = [
        f"{card.unit.unit} — {card.ruleset.title}: "
        f"{fmt(card.total, lang, card.ruleset.display_precision)}/"
        f"{fmt(card.ruleset.max, lang)}" + (f" ({band.get(lang)})" if band else ""),
        "",
        p["steps"],
    ]
    keys = ("code", "indicator", "now", "needed", "change", "points", "owner")
    rows = [[row[k] for k in keys] for row in result.rows(lang)]
    rows.append(["", p["recoverable"], "", "", "", fmt(result.recoverable, lang), ""])
    headers = [t["code"], p["indicator"], p["now"], p["needed"], p["change"], p["points"]]
    lines.append(
        tabulate(_wrapped(rows, 36), [*headers, t["owner"]], disable_numparse=True)
        if result.steps
        else p["none"]
    )
    if result.steps:
        checks = [
            [s.code, *(_formula(r.explain(lang)) for r in (s.before, s.after))]
            for s in result.steps
        ]
        lines += ["", p["check"], tabulate(_wrapped(checks, 50), disable_numparse=True)]
    if result.unplanned:
        rows = [
            [u.result.code, u.result.node.get_title(lang), fmt(u.result.lost, lang), u.reason(lang)]
            for u in result.unplanned
        ]
        headers = [t["code"], t["title"], t["lost"], t["reason"]]
        lines += [
            "",
            p["unplanned"],
            tabulate(_wrapped(rows, 50), headers, disable_numparse=True),
        ]
    target = result.target
    if target is not None:
        head = p[target.kind].format(rank=target.rank, units=target.units, goal=target.goal)
        gap = p["gap"].format(needed=fmt(target.needed_total, lang), gap=fmt(target.gap, lang))
        codes = ", ".join(s.code for s in target.steps) or "—"
        after = p["after"].format(codes=codes, total=fmt(target.total_after, lang))
        if target.rank_after is not None:
            after += f", {target.rank_after}/{target.units}"
        if target.classification_after is not None:
            after += f" ({target.classification_after.get(lang)})"
        verdict = p["reached"] if target.reached else p["missed"]
        lines += ["", f"{head}: {gap}.", f"{after}: {verdict}.", METHOD.get(lang)]
    return "\n".join(lines)


def _cmd_plan(args: argparse.Namespace, registry: Registry) -> int:
    def card_of(path: str) -> ScoreCard:
        unit = load_unit(path, registry=registry)
        return score(load_ruleset(unit.ruleset_path or unit.ruleset, registry=registry), unit)

    card = card_of(args.unit)
    peers = [card_of(path) for path in args.peers]
    try:
        result = plan(
            card, peers=peers, target_rank=args.target_rank, target_class=args.target_class
        )
    except ValueError as exc:
        if isinstance(exc, ParRulesError):
            raise
        print(f"parrules: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(result.to_dict(args.lang), ensure_ascii=False, indent=2))
    else:
        print(_plan_text(result, args.lang))
    return EXIT_OK


def _cmd_diff(args: argparse.Namespace, registry: Registry) -> int:
    a = load_ruleset(args.a, registry=registry)
    b = load_ruleset(args.b, registry=registry)
    result = diff_rulesets(a, b)
    if args.format == "json":
        print(json.dumps(result.to_dict(args.lang), ensure_ascii=False, indent=2))
        return EXIT_OK
    t = LABELS[args.lang]
    keys = ("code", "kind", "what", "before", "after")
    rows = [[row[k] for k in keys] for row in result.rows(args.lang)]
    headers = [
        t["code"],
        *{
            "vi": ("Thay đổi", "Nội dung", "Trước", "Sau"),
            "en": ("Change", "What", "Before", "After"),
        }[args.lang],
    ]
    print(f"{a.id} → {b.id}")
    same = {"vi": "Không có khác biệt.", "en": "No difference."}[args.lang]
    print(tabulate(_wrapped(rows, 50), headers, disable_numparse=True) if rows else same)
    return EXIT_OK


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parrules", description="Score administrative-reform indices and explain them."
    )
    parser.add_argument("--version", action="version", version=f"parrules {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("score", "score unit files"),
        ("explain", "score unit files and explain every lost point"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("units", nargs="+", metavar="UNIT", help="unit file (YAML)")
        cmd.add_argument("--stage", help="self, appraisal or final (default: the last)")
        cmd.add_argument("--format", choices=("table", "json"), default="table")
        cmd.add_argument("--lang", choices=("vi", "en"), default="vi")
        cmd.add_argument(
            "-o",
            "--output",
            metavar="FILE",
            help="write the scored units to FILE, all at once (default: standard output)",
        )
    cmd = sub.add_parser(
        "plan",
        help="the smallest changes of the indicators that recover lost points",
        description="For every lost point, the smallest change of the unit's indicators that "
        "recovers it, verified by re-scoring; with peers, the steps to climb a rank.",
    )
    cmd.add_argument("unit", metavar="UNIT", help="unit file (YAML)")
    cmd.add_argument("--peers", nargs="+", default=[], metavar="UNIT", help="the other units")
    goal = cmd.add_mutually_exclusive_group()
    goal.add_argument("--target-rank", type=int, metavar="N", help="rank to reach (needs --peers)")
    goal.add_argument("--target-class", metavar="C", help="class to reach, e.g. Tốt")
    cmd.add_argument("--format", choices=("text", "json"), default="text")
    cmd.add_argument("--lang", choices=("vi", "en"), default="vi")
    cmd = sub.add_parser("diff", help="what changed between two rulesets")
    cmd.add_argument("a", metavar="RULESET_A", help="ruleset id or path")
    cmd.add_argument("b", metavar="RULESET_B", help="ruleset id or path")
    cmd.add_argument("--format", choices=("text", "json"), default="text")
    cmd.add_argument("--lang", choices=("vi", "en"), default="vi")
    sub.add_parser("rules", help="list every rule with its plugin and params")
    sub.add_parser("rulesets", help="list the installed rulesets by id")
    text = "check rulesets statically and list every finding with file:line"
    cmd = sub.add_parser("validate", help=text, description=text)
    cmd.add_argument("rulesets", nargs="+", metavar="RULESET", help="ruleset id or file")
    cmd.add_argument("--strict", action="store_true", help="fail on warnings too")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        registry = default_registry()
        if args.command in ("score", "explain"):
            return _cmd_score(args, registry, explain=args.command == "explain")
        if args.command == "rules":
            return _cmd_rules(args, registry)
        if args.command == "validate":
            return _cmd_validate(args, registry)
        if args.command == "plan":
            return _cmd_plan(args, registry)
        if args.command == "diff":
            return _cmd_diff(args, registry)
        return _cmd_rulesets(args, registry)
    except ParRulesError as exc:
        print(f"parrules: {one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # the reader (e.g. `head`) stopped reading: not an error of ours
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
