"""A plain script: a sheet of units (CSV, with the headings of ``parrules template``) read with
``csv.DictReader``, each row checked by ``unit_from_mapping``, scored, ranked and printed: what
``parrules rank SHEET.csv`` does, without its sheet reader.

    python rank_sheet.py SHEET.csv
"""

import csv
import sys
from typing import Any

import parrules

TRUE = {"có", "x", "true", "1"}


def read(path: str) -> tuple[parrules.Ruleset, list[parrules.UnitInputs]]:
    with open(path, encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    ruleset = parrules.load_ruleset(rows[0]["Bộ chỉ số"])
    columns: dict[str, tuple[str, str]] = {}  # heading → (what, indicator name or node code)
    for name, indicator in ruleset.indicators.items():
        label = f"{indicator.label} ({indicator.unit})" if indicator.unit else indicator.label
        columns[label] = ("bool" if indicator.type == "bool" else "value", name)
    codes = {node.code for node in ruleset.leaves}
    for heading in rows[0]:
        code = heading.split(". ", 1)[0]
        if code in codes:
            columns[heading] = ("points", code)
        elif heading.startswith("Lý do "):
            columns[heading] = ("reason", heading[len("Lý do ") :])
    units = []
    for row in rows:
        indicators: dict[str, Any] = {}
        points: dict[str, dict[str, Any]] = {}
        for heading, cell in row.items():
            if heading not in columns or not cell:
                continue
            what, key = columns[heading]
            if what == "bool":
                indicators[key] = cell.strip().lower() in TRUE
            elif what == "value":
                indicators[key] = cell
            else:
                points.setdefault(key, {})["points" if what == "points" else "reason"] = cell
        data = {
            "unit": row["Đơn vị"],
            "year": int(row["Năm"]),
            "ruleset": ruleset.id,
            "indicators": indicators,
            "points": points,
        }
        units.append(parrules.unit_from_mapping(data, ruleset))
    return ruleset, units


def main() -> None:
    ruleset, units = read(sys.argv[1])
    ranking = parrules.rank([parrules.score(ruleset, unit) for unit in units])
    fields = [node.code for node in ruleset.nodes]
    print("\t".join(["rank", "unit", "total", "percent", "class", *fields]))
    for entry in ranking:
        shown = [entry.total, round(entry.percent or 0, 2)]
        band = entry.classification.label if entry.classification else ""
        points = [entry.field(code) for code in fields]
        print("\t".join(str(v) for v in (entry.rank, entry.unit, *shown, band, *points)))
    for band, count in ranking.classification_counts:
        print(f"{band.label}\t{count}")


if __name__ == "__main__":
    main()
