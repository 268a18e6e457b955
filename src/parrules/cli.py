"""The ``parrules`` command: parse arguments, call the API, print. Errors go to stderr, one line
each; the exit code is 0 only when everything asked for was done."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from tabulate import tabulate

from . import __version__
from ._engine import score
from ._model import ScoreCard, format_value
from ._numbers import fmt
from ._plugins import Registry, default_registry
from ._ruleset import known_ids, load_ruleset
from ._units import load_unit
from .errors import ParRulesError

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
    for index, node in enumerate(card.ruleset.flat):
        depth = node.code.count(".")
        title = "  " * depth + node.get_title(lang)
        points = [fmt(s.results[index].points, lang) for s in stages]
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
        rows, headers, tablefmt="simple", disable_numparse=True, maxcolwidths=40
    )


def _cmd_score(args: argparse.Namespace, registry: Registry, explain: bool) -> int:
    failed = False
    for path in args.units:
        try:
            unit = load_unit(path, registry=registry)
            card = score(load_ruleset(unit.ruleset_path or unit.ruleset, registry=registry), unit)
            if args.stage:
                card.stage(args.stage)
        except ParRulesError as exc:
            print(f"parrules: {exc}", file=sys.stderr)
            failed = True
            continue
        if args.format in ("json", "jsonl"):
            data = card.to_dict(args.lang)
            if args.stage:
                data["stages"] = [s for s in data["stages"] if s["stage"] == args.stage]
            if args.format == "jsonl":  # one line per card, written as soon as it is scored
                print(json.dumps(data, ensure_ascii=False, separators=(",", ":")), flush=True)
            else:
                print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            print(f"{card.unit.unit} — {card.ruleset.title}")
            print(_card_table(card, args.lang))
            print()
            print(_register(card, args.stage, args.lang, detail=explain))
    return EXIT_FAILED if failed else EXIT_OK


def _cmd_rules(args: argparse.Namespace, registry: Registry) -> int:
    rows = [[r.name, r.plugin, ", ".join(r.params), r.summary] for r in registry.rules.values()]
    print(tabulate(rows, ["rule", "plugin", "params", "computes"], tablefmt="simple"))
    for broken in registry.broken:
        print(f"parrules: plugin '{broken.name}' is broken: {broken.error}", file=sys.stderr)
    return EXIT_FAILED if registry.broken else EXIT_OK


def _cmd_rulesets(args: argparse.Namespace, registry: Registry) -> int:
    for ruleset_id in known_ids(registry):
        print(ruleset_id)
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
        cmd.add_argument("--format", choices=("table", "json", "jsonl"), default="table")
        cmd.add_argument("--lang", choices=("vi", "en"), default="vi")
    sub.add_parser("rules", help="list every rule with its plugin and params")
    sub.add_parser("rulesets", help="list the installed rulesets by id")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        registry = default_registry()
        if args.command in ("score", "explain"):
            return _cmd_score(args, registry, explain=args.command == "explain")
        if args.command == "rules":
            return _cmd_rules(args, registry)
        return _cmd_rulesets(args, registry)
    except ParRulesError as exc:
        print(f"parrules: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
