"""The tables' width policy (screens/columns.py): what a width shows whole, what folds, how
detail text wraps (cells, 禁則)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from hwdesk.jtext.cells import cell_width
from hwdesk.linebreak import NO_END, NO_START, units
from screens.columns import Column, natural_widths, plan, under_row, wrap_cells

QUEUE = [
    Column("時刻", width=11),
    Column("種別", min_width=8, priority=1),
    Column("状態", min_width=4),
    Column("担当", min_width=6, priority=2),
    Column("求職者／人数", min_width=12),
    Column("同席者", min_width=8, priority=3, detail=True),
    Column("警告", min_width=10, priority=3, detail=True),
]
ROWS = [
    [
        "10:00-10:45",
        "オンライン職業紹介",
        "実施中",
        "窓口 花子",
        "37010-6180875 福田 健一",
        "通訳（ベトナム語）",
        "開始15分前・未受付",
    ],
    ["13:30-14:30", "オンラインセミナー", "予定", "統括 次郎", "3/20", "", ""],
]


def test_80_columns_keep_identifying_text_whole_and_fold_the_rest():
    natural = natural_widths(QUEUE, ROWS)
    widths = plan(QUEUE, 80, natural)
    assert sum(widths) + sum(1 for w in widths if w) <= 80
    for i in (0, 1, 2, 4):  # time, kind, state, who: whole
        assert widths[i] >= max(cell_width(r[i]) for r in ROWS)
    assert widths[5] == widths[6] == 0  # companions and warnings go under the row


def test_wide_tables_show_every_column_whole():
    natural = natural_widths(QUEUE, ROWS)
    widths = plan(QUEUE, 160, natural)
    assert all(w >= n for w, n in zip(widths, natural))
    assert sum(widths) + len(widths) == 160  # the space is used


def test_empty_optional_column_gives_its_room():
    rows = [r[:5] + ["", ""] for r in ROWS]
    widths = plan(QUEUE, 120, natural_widths(QUEUE, rows))
    assert widths[5] == widths[6] == 0


def test_without_measuring_columns_share_by_weight_as_before():
    cols = [Column("a", width=6), Column("b", weight=1), Column("c", weight=3)]
    assert plan(cols, 30) == [6, 6, 15]


def test_too_narrow_folds_highest_priority_first():
    widths = plan(QUEUE, 40, natural_widths(QUEUE, ROWS))
    assert widths[3] == 0 and widths[0] == 11


KINSOKU_RUN = re.compile(f"[{re.escape(''.join(sorted(NO_START | NO_END)))}]{{3}}")


@given(
    st.text(alphabet="あいう。、「」（）ABC ー漢字", max_size=80).filter(
        lambda t: not KINSOKU_RUN.search(t) and not re.search(r"[「（] |\s[。、」）ー]", t)
    ),
    st.integers(min_value=8, max_value=30),
)
def test_wrap_fits_the_width_and_keeps_kinsoku(text, width):
    """As ``hwdesk.linebreak.wrap`` (tested there in full): kinsoku holds wherever every unit
    (a word with the marks it carries) fits a line."""
    lines = wrap_cells(text, width, limit=100)
    for line in lines:
        assert cell_width(line) <= width
    if max((cell_width(u) for u in units(text)), default=0) <= width:
        for n, line in enumerate(lines):
            if n:
                assert line[:1] not in NO_START
            if n < len(lines) - 1:
                assert line[-1:] not in NO_END
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@given(
    st.lists(st.text(alphabet="abc159", min_size=1, max_size=8), min_size=1, max_size=12),
    st.integers(min_value=8, max_value=30),
)
def test_wrap_keeps_latin_words_and_numbers_whole(words, width):
    """A word or number that fits a line is never split (the queue broke "15 min" as "1" / "5 min")."""
    lines = wrap_cells("警告: " + " ".join(words), width, limit=100)
    on_lines = {w for line in lines for w in line.replace("警告:", "").split()}
    assert set(words) <= on_lines


def test_the_queue_warning_keeps_its_minutes_together():
    lines = wrap_cells("同席者: 通訳（ベトナム語）✔　警告: Starting within 15 min, not checked in", 66)
    assert any("15 min" in line for line in lines), lines


def test_an_expanded_row_shows_every_folded_or_cut_cell_whole_one_label_a_line():
    widths = plan(QUEUE, 80, natural_widths(QUEUE, ROWS))
    row = ROWS[0][:3] + ["窓口担当の名前がとても長い人"] + ROWS[0][4:6] + ["開始15分前・未受付・" * 8]
    folded = under_row(QUEUE, widths, row, 80, 2, whole=False)
    assert len(folded) == 2 and folded[-1].endswith("…") and "担当" not in "".join(folded)
    lines = under_row(QUEUE, widths, row, 80, 2, whole=True)
    assert all(cell_width(line) <= 80 and line.startswith(" " * 12) for line in lines)
    text = "".join(line.strip() for line in lines)
    assert "…" not in text and row[3] in text and row[5] in text and row[6] in text
    # the staff name cut in its column, then the folded companions and warning, each on its own lines
    starts = [line.strip().split(":")[0] for line in lines if ": " in line]
    assert starts == ["担当", "同席者", "警告"]


@given(
    st.text(alphabet="あ漢。「」AB1 {}:,\n", max_size=120), st.integers(min_value=4, max_value=30), st.integers(1, 4)
)
def test_a_cut_text_shows_as_much_as_fits_then_an_ellipsis(text, width, limit):
    lines = wrap_cells(text, width, limit=limit)
    assert len(lines) <= limit and all(cell_width(line) <= width for line in lines)
    shown = "".join(lines).removesuffix("…").replace(" ", "").replace("\n", "")
    assert text.replace(" ", "").replace("\n", "").startswith(shown)
    if lines and lines[-1].endswith("…"):
        assert cell_width(lines[-1]) >= width - 2  # filled: at most a wide character short
