"""A bar chart of field percentages (matplotlib, the ``chart`` extra), PNG or SVG."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from .._model import StageResult
from .._numbers import fmt, quantize
from ..errors import ParRulesError

CHART_FORMATS = ("png", "svg")
INERT = {"text.parse_math": False, "text.usetex": False, "svg.hashsalt": "parrules"}
"""Names and titles are text from outside: never read as TeX math ("$…$"), which matplotlib
would otherwise try, and fail, to typeset; SVG ids the same every time."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - depends on the environment
        msg = "charts need matplotlib: pip install 'parrules[chart]'"
        raise ParRulesError(msg) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def save(figure: Any, format: str) -> bytes:
    """The figure's bytes, the same every time for the same figure (no date in an SVG)."""
    figure.tight_layout()
    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None} if format == "svg" else {}
    figure.savefig(buffer, format=format, dpi=150, metadata=metadata, bbox_inches="tight")
    return buffer.getvalue()


def field_chart(
    series: Sequence[tuple[str, StageResult]],
    title: str,
    *,
    format: str = "png",
    lang: str = "vi",
) -> bytes:
    """Horizontal bars of each field's percentage of its max, one bar per series (a unit, a year
    or a stage), fields in the first series' order; codes found in one series only get no bar
    in the others."""
    if format not in CHART_FORMATS:
        msg = f"a chart is png or svg, not '{format}'"
        raise ParRulesError(msg)
    plt = _pyplot()
    fields: list[tuple[str, str]] = []
    for _, stage in series:
        for r in stage.fields:
            if r.code not in (code for code, _ in fields):
                fields.append((r.code, _short(f"{r.code}. {r.node.get_title(lang)}")))
    height = 0.8 / max(len(series), 1)
    with plt.rc_context(INERT):
        figure, axes = plt.subplots(figsize=(9, 1.2 + 0.55 * len(fields) * max(1, len(series) / 2)))
        try:
            for index, (label, stage) in enumerate(series):
                by_code = {r.code: r for r in stage.fields}
                positions: list[float] = []
                percents = []
                for row, (code, _) in enumerate(fields):
                    share = by_code[code].percent if code in by_code else None
                    if share is not None:  # no bar where no maximum is published
                        positions.append(row + index * height)
                        percents.append(quantize(share, 2))
                bars = axes.barh(
                    positions, [float(p) for p in percents], height=height, label=label
                )
                axes.bar_label(bars, labels=[fmt(p, lang) for p in percents], fontsize=7)
            axes.set_yticks([row + height * (len(series) - 1) / 2 for row in range(len(fields))])
            axes.set_yticklabels([name for _, name in fields], fontsize=8)
            axes.invert_yaxis()
            axes.set_xlim(0, 110)
            axes.set_xlabel("%")
            axes.set_title(title, fontsize=10)
            if len(series) > 1:
                axes.legend(
                    fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(series)
                )
            return save(figure, format)
        finally:
            plt.close(figure)
