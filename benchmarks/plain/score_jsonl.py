"""The 20-line script a user writes with the public API: every unit file given scored and
written as one line of JSON, as ``parrules score FILES --format jsonl`` writes it.

    python score_jsonl.py RULESET OUT.jsonl UNIT.yaml...
"""

import json
import sys

import parrules


def main() -> None:
    ruleset = parrules.load_ruleset(sys.argv[1])
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        for path in sys.argv[3:]:
            unit = parrules.load_unit(path, ruleset=ruleset)
            card = parrules.score(ruleset, unit)
            out.write(json.dumps(card.to_dict(), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")


if __name__ == "__main__":
    main()
