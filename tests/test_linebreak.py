"""One line breaker for the screens and the handout (issue 17 item 4): kinsoku, wide characters
whole, nothing dropped; Textual's own wrapping goes through it once the app is imported."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hwdesk.jtext.cells import cell_width
from hwdesk.linebreak import NO_END, NO_START, break_offsets, units, wrap

_PIECES = st.sampled_from(
    [
        "利用",
        "中止",
        "です",
        "。",
        "、",
        "「",
        "」",
        "（",
        "）",
        "『",
        "』",
        "ッ",
        "ー",
        "ゃ",
        "求職者",
        "オンライン",
        "第12条(3)",
        " ",
        "Zoom",
        "ID",
        "https://example.jp/x",
        "ﾊﾝｶｸ",
        "山田 さくら",
        "!",
        "…",
    ]
)
# (an opening mark before a space, or a closing one after it, is no Japanese: the marks
# attach to their neighbour, and a space is where a line may break)
_TEXT = (
    st.lists(_PIECES, min_size=1, max_size=30)
    .map("".join)
    .filter(lambda t: not re.search(r"[「（『] |\s[。、」）』ッーゃ!…]", t))
)


def _squash(text: str) -> str:
    return "".join(text.split())


def _kinsoku_ok(lines: list[str]) -> list[str]:
    bad = []
    for i, line in enumerate(lines):
        if i and line[:1] in NO_START:
            bad.append(f"line {i} starts with {line[:1]}: {lines}")
        if i < len(lines) - 1 and line[-1:] in NO_END:
            bad.append(f"line {i} ends with {line[-1:]}: {lines}")
    return bad


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.integers(min_value=2, max_value=40))
def test_wrapped_lines_fit_keep_every_character_and_obey_kinsoku(text, width):
    lines = wrap(text, width)
    assert all(cell_width(line) <= width or len(line) == 1 for line in lines), (lines, width)
    assert _squash("".join(lines)) == _squash(text)
    if max(cell_width(u) for u in units(text)) <= width:
        assert _kinsoku_ok(lines) == []


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.integers(min_value=2, max_value=40))
def test_break_offsets_are_the_same_lines(text, width):
    offsets = break_offsets(text, width)
    assert offsets == sorted(set(offsets)) and all(0 < o < len(text) for o in offsets)
    cuts = [0, *offsets, len(text)]
    lines = [text[a:b].rstrip(" ") for a, b in zip(cuts, cuts[1:])]
    assert "".join(text[a:b] for a, b in zip(cuts, cuts[1:])) == text
    assert all(cell_width(line) <= width or len(line) == 1 for line in lines), (lines, width)
    if max(cell_width(u) for u in units(text)) <= width:
        assert _kinsoku_ok([line.lstrip(" ") for line in lines if line.strip()]) == []


@settings(max_examples=150, deadline=None)
@given(_TEXT, st.integers(min_value=4, max_value=40))
def test_textual_wraps_with_kinsoku_once_the_app_is_loaded(text, width):
    from textual.content import Content

    import screens.app  # noqa: F401  (installs the wrapper)

    lines = [line.plain for line in Content(text).wrap(width)]
    assert all(cell_width(line) <= width for line in lines), (lines, width)
    assert _squash("".join(lines)) == _squash(text)
    if max(cell_width(u) for u in units(text)) <= width:
        assert _kinsoku_ok([line.strip() for line in lines if line.strip()]) == []


def test_the_examples_of_the_issue():
    note = "WEBカメラによる通信が可能な端末と、環境をご準備ください。（第2条(3)）"
    for width in range(6, 40):
        lines = wrap(note, width)
        assert not any(line.startswith(("）", "。", "、", "」")) for line in lines[1:]), lines
        assert not any(line.endswith(("（", "「")) for line in lines[:-1]), lines
    text = "利用の中止は「本人の申出」による。"
    for width in (7, 8, 9, 10):
        lines = wrap(text, width)
        assert "".join(lines) == text and _kinsoku_ok(lines) == [], lines
    assert wrap(text, 8) == ["利用の中", "止は「本", "人の申", "出」によ", "る。"]


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.integers(min_value=2, max_value=40))
def test_fill_starts_a_long_word_where_the_line_has_room(text, width):
    """``fill``: the lines still fit and keep every character; only where a word is wider than a
    line may the lines differ, that word then starting on the line before."""
    lines = wrap(text, width, fill=True)
    assert all(cell_width(line) <= width or len(line) == 1 for line in lines), (lines, width)
    assert _squash("".join(lines)) == _squash(text)
    if max(cell_width(u) for u in units(text)) <= width:
        assert lines == wrap(text, width)


def test_fill_shows_a_json_value_after_its_label():
    value = '{"after":{"capacity":1,"end":"2027-02-19T15:15:00+09:00","kind":"referral"}}'
    plain = wrap("内容: " + value, 30)
    assert plain[0] == '内容: {"after":'  # the rest starts a line of its own
    lines = wrap("内容: " + value, 30, fill=True)
    assert lines[0] == "内容: " + value[:24] and cell_width(lines[0]) == 30
    assert "".join(lines) == "内容: " + value and len(lines) == 3
