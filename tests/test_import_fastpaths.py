"""The import's fast paths give exactly what the general code gives (issue #8).

The parsers in ``hwdesk.jtext`` return already-canonical text (katakana readings, plain
ISO dates, digits-only phones, ``DDDDD-D…`` numbers) without the general path; a ``str``
subclass never takes a fast path, so comparing ``f(text)`` with ``f(_Slow(text))`` compares
the two. ``validate_values`` is checked against the field-by-field loop over
``validate_field`` it replaced, and the importer against what it stores.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from hwdesk import nameindex
from hwdesk.errors import ValidationFailed
from hwdesk.jtext import dates, kana, numbers
from hwdesk.jtext import text as free_text
from hwdesk.jtext.base import ParseError
from hwdesk.models import NameGram, Seeker
from hwdesk.services import importer
from hwdesk.services.seekers import (
    FIELD_ORDER,
    SeekerForm,
    given_key,
    kana_key,
    validate_field,
    validate_form,
    validate_values,
)

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class _Slow(str):
    """Text that takes the general path of every parser (the fast paths want exactly ``str``)."""


def _outcome(fn, value, **kw):
    dates._DATE_CACHE.clear()
    try:
        out = fn(value, **kw)
    except (ParseError, ValidationFailed) as exc:
        return ("error", type(exc).__name__, exc.field, exc.message_ja, exc.message_en)
    return ("ok", out)


def _same(fn, text, **kw):
    fast, slow = _outcome(fn, text, **kw), _outcome(fn, _Slow(text), **kw)
    assert fast == slow, (text, fast, slow)
    assert fast[0] == "error" or type(fast[1]) in (str, date), fast  # never the caller's object type


_KATAKANA = "アイウエオカガキャヴヵヶヽヾーン・ㇰㇱ"
_HIRAGANA = "あいうえおがきゃゔゕゖゝゞん"
_PIECES = st.sampled_from(
    [
        *_KATAKANA,
        *_HIRAGANA,
        *"ｱｶﾞﾊﾟ",
        " ",
        "  ",
        "\u3000",
        "\t",
        "\n",
        "\x00",
        "\u202e",
        "\ufeff",
        *"山田太郎髙﨑",
        "\uf900",
        "\u2f00",
        *"0123456789",
        *"０１９",
        "-",
        "ー",
        "－",
        "‐",
        "/",
        ".",
        "年",
        "月",
        "日",
        "+81",
        "(",
        ")",
        "@",
        *"abcXYZ",
        "令和",
        "R",
        "(火)",
        "曜",
    ]
)
_text = st.lists(_PIECES, max_size=16).map("".join)


@PROPS
@given(_text)
def test_parsers_fast_and_general_agree(text):
    _same(free_text.clean_text, text, field="name", max_len=8)
    _same(free_text.normalize_name, text)
    _same(kana.parse_reading, text)
    _same(numbers.parse_seeker_no, text)
    _same(numbers.parse_phone, text)
    _same(dates.parse_date, text, field="birth_date")
    assert kana_key(text) == kana_key(_Slow(text))


@PROPS
@given(
    st.lists(st.sampled_from([*_KATAKANA, *_HIRAGANA]), min_size=1, max_size=8).map("".join),
    st.lists(st.sampled_from([*_KATAKANA, *_HIRAGANA]), max_size=70).map("".join),
    st.integers(0, 10**8),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
)
def test_canonical_inputs_agree(a, b, n, d):
    # The forms the fast paths are for, near their edges (length 60, mixed kana, leap days …).
    for reading in (a, f"{a} {b}", f"{a}  {b}", f" {a}", b):
        _same(kana.parse_reading, reading)
        assert kana_key(reading) == kana_key(_Slow(reading))
    for number in (f"37010-{n}", f"{n:05d}-1", f"3701{n}"):
        _same(numbers.parse_seeker_no, number)
    for phone in (f"0{n:09d}", f"0{n:010d}", f"09{n:08d}", f"0800{n:07d}", f"050{n:08d}"):
        _same(numbers.parse_phone, phone)
    iso = f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    for text in (iso, iso[:8] + "30", iso[:5] + "02-29", iso[:5] + "13-01"):
        _same(dates.parse_date, text, field="registered_on")


def _reference(form: SeekerForm) -> dict:
    """validate_form as it was: validate_field for each field in form order."""
    clean: dict = {}
    for name in FIELD_ORDER:
        try:
            clean[name] = validate_field(name, getattr(form, name))
        except ParseError as exc:
            raise ValidationFailed(exc.message_ja, exc.message_en, field=name) from None
        except ValidationFailed as exc:
            exc.field = name
            raise
    clean["webcam_confirmed"] = bool(form.webcam_confirmed)
    clean["kana_key"] = kana_key(clean["name_kana"])
    clean["given_key"] = given_key(clean["name_kana"])
    return clean


def _form_outcome(fn, form):
    try:
        out = fn(form)
    except ValidationFailed as exc:
        return ("error", exc.field, exc.message_ja, exc.message_en)
    return ("ok", list(out.items()))


@PROPS
@given(
    st.sampled_from(["37010-1", "３７０１０－２", "abc", "", "37010 3"]),
    st.sampled_from(["山田 太郎", "  山田　太郎 ", "", "a\x00b", "髙橋" * 40]),
    st.sampled_from(["ヤマダ タロウ", "やまだ　たろう", "ﾔﾏﾀﾞ", "山田", "", "ア" * 61]),
    st.sampled_from(["1985-04-01", "平成2年3月4日", "2999-01-01", "1800-01-01", "1985-02-30", "", "19850401"]),
    st.sampled_from(["", " ", "09012345678", "090-1234-5678", "0901234567", "12345"]),
    st.sampled_from(["", "taro@example.jp", "bad@", " ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ "]),
    st.sampled_from(["窓口", "office", " オンライン ", "", "web"]),
    st.sampled_from(["", "2024-04-01", "R7.1.5", "2999-01-01", "2024-13-01"]),
    st.sampled_from(["takamatsu", ""]),
    st.booleans(),
)
def test_validate_form_matches_the_field_by_field_loop(
    no, name, kana, birth, phone, email, kind, registered, office, webcam
):
    form = SeekerForm(
        seeker_no=no,
        name=name,
        name_kana=kana,
        birth_date=birth,
        phone=phone,
        email=email,
        registration_kind=kind,
        registered_on=registered,
        office_id=office,
        webcam_confirmed=webcam,
    )
    assert _form_outcome(validate_form, form) == _form_outcome(_reference, form)
    values = [getattr(form, f) for f in FIELD_ORDER]
    assert _form_outcome(lambda _: validate_values(values, webcam), form) == _form_outcome(_reference, form)


def test_import_stores_what_the_form_would(store, actors):
    # A reordered English header without 登録区分, with hiragana, half-width kana, repeated
    # letters in a name (PostgreSQL: its grams are a set) and the ISO fast paths side by side.
    data = (
        "kana,name,seeker_no,birth_date,phone,registered_on,email\n"
        "やまだ たろう,山田 太郎,37010-11,1985-04-01,090-1234-5678,2025-01-05,taro@example.jp\n"
        "ﾀﾅｶ ﾀﾛｳ,田中 田中,３７０１０－１２,昭和60年4月2日,09012345678,,\n"
        "ササキ サキ,佐々木 咲,37010-13,1985-04-03,,R7.1.5,\n"
        "ミ,美,37010-14,1985-04-04,0272902111\n"
    ).encode()
    with store.write() as s:
        result = importer.import_seekers(s, actor=actors["clerk1"], data=data, office_id="takamatsu", source="t.csv")
    assert (result.added, result.errors) == (4, [])
    columns = [*FIELD_ORDER, "kana_key", "webcam_confirmed"]  # every column the form gives
    with store.read() as s:
        stored = {k.seeker_no: k for k in s.exec(select(Seeker))}
        if store.is_sqlite:
            held = nameindex.indexed(s.connection())
        else:
            held = {}
            for g in s.exec(select(NameGram)):
                held.setdefault(g.seeker_id, set()).add(g.gram)
    for line in data.decode().splitlines()[1:]:
        cells = dict(
            zip(["name_kana", "name", "seeker_no", "birth_date", "phone", "registered_on", "email"], line.split(","))
        )
        clean = validate_form(SeekerForm(office_id="takamatsu", **cells))
        row = stored[clean["seeker_no"]]
        assert [getattr(row, c) for c in columns] == [clean[c] for c in columns]
        assert held[row.id] == (row.name.replace(" ", "") if store.is_sqlite else nameindex.grams(row.name))
    assert stored["37010-12"].name_kana == "タナカ タロウ" and stored["37010-12"].birth_date == date(1985, 4, 2)
    assert stored["37010-11"].registration_kind == "office" and stored["37010-14"].registered_on is None
    ids = sorted(k.id for k in stored.values())
    assert [stored[n].id for n in ("37010-11", "37010-12", "37010-13", "37010-14")] == ids  # file order


@pytest.mark.parametrize(
    "header",
    ["求職番号,氏名,フリガナ,生年月日,電話番号,メール,登録区分,登録日", "氏名,求職番号,氏名,フリガナ,生年月日"],
)
def test_import_reports_the_same_errors_as_the_form(store, actors, header):
    # Short rows, a repeated column (the last one counts) and bad cells in every field.
    names = importer._header_map(header.split(","))
    rows = [
        "37010-21,山田 太郎,ヤマダ タロウ,1985-04-01,0901234567,,窓口,",
        "37010-22,山田 花子,ヤマダ ハナコ,2999-01-01",
        "x,鈴木 一郎,スズキ,1970-01-01,,bad@,web,2024-13-01",
        "37010-23,,スズキ,1970-01-01",
        "37010-24,伊藤 三郎,伊藤,1970-02-30",
    ]
    data = (header + "\n" + "\n".join(rows) + "\n").encode()
    with store.write() as s:
        result = importer.import_seekers(s, actor=actors["clerk1"], data=data, office_id="takamatsu", dry_run=True)
    expected = []
    for n, line in enumerate(rows, start=2):
        cells = line.split(",")
        if len(cells) > len(names):
            expected.append((n, "", f"列が多すぎます（{len(cells)}列）。", f"Too many columns ({len(cells)})."))
            continue
        form = SeekerForm(office_id="takamatsu", registration_kind="office")
        for name, value in zip(names, cells):
            if name:
                setattr(form, name, value)
        if not form.registration_kind.strip():
            form.registration_kind = "office"
        try:
            validate_form(form)
        except ValidationFailed as exc:
            expected.append((n, exc.field, exc.message_ja, exc.message_en))
    assert expected  # the rows do fail
    assert [(e.line, e.field, e.message_ja, e.message_en) for e in result.errors] == expected


def test_a_worker_process_checks_rows_as_this_process_does(store, actors, monkeypatch):
    # Three chunks with bad rows and repeats across and inside chunks: what is stored and every
    # error, in order, are the same whether the rows were checked here or in a worker process.
    from hwdesk.services import csvstream

    monkeypatch.setattr(csvstream, "CHUNK_ROWS", 40)
    lines = ["求職番号,氏名,フリガナ,生年月日,電話番号,メール,登録区分,登録日"]
    for i in range(100):
        birth = "1999-02-30" if i % 17 == 5 else f"19{60 + i % 40}-0{1 + i % 9}-1{i % 10}"
        lines.append(f"37010-{900 + i},山田 太郎,ヤマダ タロウ{'アイウエオ'[i % 5] * (1 + i // 5)},{birth},,,窓口,")
    lines.append(lines[3])  # a repeat of a row two chunks back
    lines.append(lines[50].replace("37010-948", "37010-2000"))  # the same person under a new number
    data = ("\n".join(lines) + "\n").encode()
    outcomes = []
    for setting in ("0", "1"):
        monkeypatch.setenv("HWDESK_IMPORT_WORKER", setting)
        with store.write() as s:
            r = importer.import_seekers(s, actor=actors["clerk1"], data=data, office_id="takamatsu", dry_run=True)
        outcomes.append((r.added, r.skipped, [(e.line, e.field, e.message_ja) for e in r.errors]))
    assert outcomes[0] == outcomes[1]
    added, _, errors = outcomes[0]
    assert added == 100 - 6 and [line for line, _, _ in errors] == [7, 24, 41, 58, 75, 92, 102, 103]


@given(st.lists(st.text(max_size=8), max_size=300), st.lists(st.text(max_size=8), max_size=300))
def test_the_import_filter_never_forgets_a_key_it_was_given(added, others):
    # PostgreSQL's import rules out a clash with its own earlier rows by this filter alone; a
    # "maybe" is probed exactly, but a "no" is final, so a key added must always be found.
    from hwdesk.services.import_pg import Seen

    seen = Seen(len(added))
    for key in added:
        seen.add(key)
        seen.add((key, len(key)))
    assert all(key in seen and (key, len(key)) in seen for key in added)
    false = sum(1 for key in others if key not in added and key in seen)
    assert false <= max(3, len(others) // 20)


def test_the_import_filter_is_rarely_wrong_at_a_million():
    from hwdesk.services.import_pg import Seen

    seen = Seen(1_000_000)
    assert len(seen.table) <= 8 << 20  # bytes: the filter's share of the import's 300 MB
    for i in range(200_000):  # a fifth of the keys: ~1 false "maybe" in 40,000 lookups
        seen.add(f"37010-{i}")
    false = sum(1 for i in range(200_000, 300_000) if f"37010-{i}" in seen)
    assert false < 100
