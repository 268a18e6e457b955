"""Text that fits: every command's text stays within the terminal's width, in display cells."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wcwidth import wcswidth, wcwidth

from parrules import cli, report
from parrules.report import Column, Row, Table, _text
from parrules.report._text import wrap, wrap_header

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))
SOC_TRANG = sorted((ROOT / "examples" / "soc-trang").rglob("*.yaml"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def widest(text: str) -> int:
    return max(wcswidth(line) for line in text.splitlines())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("command", ["explain", "plan"])
def test_every_example_fits_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, example: Path, command: str
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = run(capsys, command, str(example))
    assert widest(out) <= 80
    assert len(out.splitlines()) > 3  # something was printed, not an empty table


@pytest.mark.parametrize(
    "argv",
    [
        ["rank", *map(str, SOC_TRANG)],
        ["rank", *map(str, SOC_TRANG), "--lang", "en"],
        ["diff", "lai-chau/district/2022", "lai-chau/district/2023"],
        [
            "compare",
            *(str(ROOT / "examples" / "lai-chau" / f"tam-duong-{y}.yaml") for y in (2022, 2023)),
        ],
        ["explain", str(ROOT / "examples" / "lai-chau" / "tam-duong-2023.yaml"), "--lang", "en"],
    ],
    ids=["rank", "rank-en", "diff", "compare", "explain-en"],
)
def test_rank_diff_compare_fit_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert widest(run(capsys, *argv)) <= 80


def test_width_option_wins_over_columns_and_zero_is_no_limit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    unit = str(ROOT / "examples" / "lai-chau" / "tam-duong-2023.yaml")
    assert widest(run(capsys, "explain", unit, "--width", "60")) <= 60
    monkeypatch.delenv("COLUMNS")
    assert widest(run(capsys, "explain", unit, "--width", "0")) > 150  # as wide as it is
    assert widest(run(capsys, "explain", unit)) > 150  # not a terminal: no limit
    with pytest.raises(SystemExit):
        cli.main(["explain", unit, "--width", "12"])
    assert "at least 40 columns" in capsys.readouterr().err


def test_cells_wrap_between_words_by_display_width() -> None:
    assert wrap("Công tác chỉ đạo điều hành", 10) == ["Công tác", "chỉ đạo", "điều hành"]
    assert wrap("中文中文中文", 4) == ["中文", "中文", "中文"]  # two cells a character
    assert wrap("Xa\u0303 Bi\u0300nh", 4) == ["Xa\u0303", "Bi\u0300nh"]  # marks take no cell
    assert wrap("lai-chau/district/2022:234", 10) == ["lai-chau/d", "istrict/20", "22:234"]


def test_a_header_breaks_between_phrases() -> None:
    # not "(Điểm tối" / "đa)": the break goes before the parenthesis
    assert wrap_header("Năm 2022 (Điểm tối đa)", 14) == ["Năm 2022", "(Điểm tối đa)"]
    assert wrap_header("Ngành, bộ phận phụ trách", 18) == ["Ngành,", "bộ phận phụ trách"]
    assert wrap_header("Điểm tối đa", 20) == ["Điểm tối đa"]


def table(rows: int = 3) -> Table:
    long = "Báo cáo phân tích, đánh giá Chỉ số CCHC năm trước không đủ nội dung đánh giá"
    return Table(
        "t",
        "Tổng hợp các nội dung bị mất điểm",
        (
            Column("Mã"),
            Column("Lý do mất điểm", wrap=40),
            Column("Giải trình, hướng khắc phục", wrap=40),
            Column("Người phụ trách", wrap=20),
            Column("Số điểm trừ", "number"),
        ),
        tuple(Row((f"1.{i}", long, long, "Nguyễn Thị Dung", Decimal("0.5"))) for i in range(rows)),
    )


def test_a_table_too_wide_for_columns_is_written_as_records() -> None:
    wide = report.render([table()], "text", width=None)
    assert isinstance(wide, str)
    assert widest(wide) > 100
    narrow = report.render([table()], "text", width=40)
    assert isinstance(narrow, str)
    assert widest(narrow) <= 40
    lines = narrow.splitlines()
    assert lines[2] == "1.0"  # the row's code heads its block
    assert lines[3].startswith("  Lý do ")
    assert "Số điểm trừ" in narrow
    assert "0,5" in narrow


def test_terminal_output_is_inert() -> None:
    hostile = Table("t", "t\x1b[2J", (Column("a"),), (Row(("x\x1b]0;title\x07y\rz",)),))
    out = report.render([hostile], "text", width=40)
    assert isinstance(out, str)
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "\r" not in out


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=30))  # laid out inert
def test_a_width_is_its_characters_display_cells(text: str) -> None:
    """Widths read from characters measured before are those wcwidth gives, also once no more
    characters are kept."""
    expected = sum(max(wcwidth(c), 0) for c in unicodedata.normalize("NFC", text))
    assert _text.width(text) == expected
    assert _text.width(text) == expected  # measured again


def test_widths_hold_once_the_characters_kept_are_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_text, "_CELLS", _text._Cells())
    monkeypatch.setattr(_text, "KEPT", 2)
    text = "Xã Bình Thành 平和 e\u0301"
    expected = sum(max(wcwidth(c), 0) for c in unicodedata.normalize("NFC", text))
    assert [_text.width(text), _text.width(text)] == [expected, expected]
    assert len(_text._CELLS) == 2
