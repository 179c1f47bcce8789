"""Every line a handout prints, in Japanese and English, checked against the office's own terms.

A line is either the terms' own words (an exact span of the cited article, paragraph or item) or a
plain sentence in です・ます whose key phrases are in the cited text. The printed PDF (normal and
large print) carries each line, with its citation, as the table gives it.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta

import pypdfium2 as pdfium
import pytest

from hwdesk.clock import JST
from hwdesk.handout import HandoutPage, render_pdf
from hwdesk.handout_text import FOOTER, LINES, cited_text, footer_note, handout_lines
from hwdesk.terms import TermsDocument, cite_text, cite_text_en, office_profile, shipped_terms

OFFICES = ("maebashi", "shibuya", "takamatsu")


def _doc(office: str) -> TermsDocument:
    return shipped_terms()[office][-1]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("office", OFFICES)
def test_each_japanese_line_is_the_terms_own_words_or_tied_to_its_article(office):
    doc = _doc(office)
    rows = LINES[office]
    printed = handout_lines(office, doc, lang="ja")
    assert len(printed) == len(rows)
    for row, ins in zip(rows, printed):
        source = _flat(cited_text(doc, row.cite))
        assert ins.cite == cite_text(row.cite)
        if row.quote is not None:
            assert _flat(ins.text) in source, (office, ins.text)  # verbatim, not a paraphrase
        else:
            assert row.phrases, row
            for phrase in row.phrases:
                assert _flat(phrase) in source, (office, row.cite, phrase)
            # a plain sentence is polite Japanese, not the terms' である/すること style
            assert re.search(r"(ください|です|ます)。$", ins.text), ins.text
            assert not re.search(r"(とする|である|こと)。", ins.text), ins.text


@pytest.mark.parametrize("office", OFFICES)
def test_each_english_line_is_the_row_tied_to_its_article(office):
    doc = _doc(office)
    printed = handout_lines(office, doc, lang="en")
    assert len(printed) == len(LINES[office])
    for row, ins in zip(LINES[office], printed):
        assert ins.text == row.en and ins.cite == cite_text_en(row.cite)
        assert ins.text.isascii() and ins.text.endswith((".", ":", ")"))
        source = _flat(cited_text(doc, row.cite))
        assert row.ties and all(_flat(t) in source for t in row.ties)


def test_the_texts_the_issue_found_wrong_are_printed_as_the_terms_say():
    ja = {o: [i.text for i in handout_lines(o, _doc(o))] for o in OFFICES}
    joined = {o: "\n".join(v) for o, v in ja.items()}
    # file-sharing software (渋谷 第3条(5), 高松 第5条(5)), OS and firewall items as written
    assert "ファイル共有ソフト（Winny、Share等）" in joined["shibuya"]
    assert "ファイル共有ソフト（Winny、Share等）" in joined["takamatsu"]
    assert "ファイル共有ソフト（Winny、Share等）" in joined["maebashi"]
    for o in OFFICES:
        assert "利用者端末のOSはサポート期間中のものを用い、最新のセキュリティ対策パッチを適用すること。" in joined[o]
        assert "パーソナルファイアウォール（Windowsファイアウォール等）の機能を有効にし" in joined[o]
    # the antivirus item keeps its bracket
    assert (
        "ウイルス対策ソフト（有償版相当）" in joined["shibuya"]
        and "ウイルス対策ソフト（有償版相当）" in joined["maebashi"]
    )
    assert "ウイルス対策ソフト（有償版相当に限ります。）" in joined["takamatsu"]
    # a webcam-capable device is required where the terms say so
    assert "WEBカメラによる通信が可能な端末（スマートフォン、ＰＣ等）" in joined["shibuya"]
    assert "WEBカメラによる通信が可能な端末（スマートフォン、PC等）" in joined["takamatsu"]
    assert "WEBカメラ" not in joined["maebashi"]  # 前橋's terms ask for none
    # 高松 第12条(4) whole, past "その他"
    item4 = cited_text(_doc("takamatsu"), {"article": 12, "item": 4})
    tak4 = "".join(i.text for i in handout_lines("takamatsu", _doc("takamatsu")) if i.cite == "第12条(4)")
    assert _flat(tak4) == _flat(item4.replace("・", ""))
    # no preparation line cites 第3条 at 前橋/渋谷 (their 第3条 says nothing about the app)
    for o in ("maebashi", "shibuya"):
        assert not any("アプリケーションを使用可能" in i.text for i in handout_lines(o, _doc(o)))
    # 前橋 第3条(7) with its bracket
    assert (
        "環境を整えること（通訳、介助者等の同席が必要な場合には、予め当ハローワークにお伝えください。）。"
        in joined["maebashi"]
    )


@pytest.mark.parametrize("office", OFFICES)
def test_lines_cite_the_articles_the_office_profile_names(office):
    prof = office_profile(office)
    cites = {}
    for row in LINES[office]:
        cites.setdefault(row.key, []).append(row.cite)
    assert prof.requirements["private_room"]["cite"] in cites["private_room"]
    assert prof.article("recording_ban") in cites["recording"]
    assert FOOTER[office].cite == prof.article("recording_ban")
    env = prof.requirements["environment"]
    assert [c for c in cites["environment"] if c.get("item")] == [i["cite"] for i in env["items"]]
    webcam = prof.requirements.get("webcam")
    assert (webcam["cite"] in cites["webcam"]) if webcam else "webcam" not in cites
    prep = prof.article("preparation")  # 前橋: none; 渋谷: 第1条(2) (with the webcam line); 高松: 第12条(4)
    assert (prep in cites.get("preparation", []) + cites.get("webcam", [])) if prep else "preparation" not in cites


@pytest.mark.parametrize("office", OFFICES)
def test_footer_reminder_is_tied_to_the_recording_ban(office):
    doc = _doc(office)
    for lang in ("ja", "en"):
        note = footer_note(office, doc, lang=lang)
        assert note is not None
    row = FOOTER[office]
    assert all(_flat(p) in _flat(cited_text(doc, row.cite)) for p in row.phrases)


def test_a_revised_article_prints_its_own_text_not_the_old_line():
    doc = _doc("shibuya")
    raw = copy.deepcopy(doc.raw)
    art = next(a for a in raw["articles"] if a["number"] == 6)
    art["paragraphs"][0]["items"][1]["text"] = "利用者は、静かな場所で参加するものとする。"
    revised = TermsDocument(raw)
    room = [i for i in handout_lines("shibuya", revised, lang="ja") if i.cite == "第6条(2)"]
    assert [i.text for i in room] == ["利用者は、静かな場所で参加するものとする。"]
    assert [i.text for i in handout_lines("shibuya", revised, lang="en") if i.cite == "第6条(2)"] == [
        "利用者は、静かな場所で参加するものとする。"
    ]


def _page(office: str, lang: str) -> HandoutPage:
    start = datetime(2027, 2, 2, 10, 0, tzinfo=JST)
    doc = _doc(office)
    return HandoutPage(
        office_name=office_profile(office).display_name(lang),
        office_contact="000-000-0000",
        service_label="オンラインセミナー",
        start=start,
        end=start + timedelta(hours=1),
        platform="zoom",
        join_url="https://us06web.zoom.us/j/81234567890",
        meeting_id="812 3456 7890",
        passcode="abc123",
        seeker_name=None,
        instructions=handout_lines(office, doc, lang=lang),
        session_ref="S-000001",
        footer_note=footer_note(office, doc, lang=lang),
    )


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("office", OFFICES)
def test_printed_pdf_carries_every_line_with_its_citation(office, lang, large, tmp_path):
    page = _page(office, lang)
    out = tmp_path / "h.pdf"
    render_pdf([page], out, large_print=large, lang=lang)
    pdf = pdfium.PdfDocument(str(out))
    text = _flat("".join(p.get_textpage().get_text_range() for p in pdf))
    for ins in page.instructions:
        assert _flat(ins.text) in text, ins.text
        assert _flat(ins.cite) in text
    assert _flat(page.footer_note.text) in text


def test_footer_prints_no_reminder_the_terms_in_force_lack(tmp_path):
    raw = copy.deepcopy(_doc("takamatsu").raw)
    art = next(a for a in raw["articles"] if a["number"] == 12)
    art["paragraphs"][0]["items"][1]["text"] = "（削除）"
    revised = TermsDocument(raw)
    assert footer_note("takamatsu", revised) is None
    from hwdesk.handout import Instruction

    page = _page("takamatsu", "ja")
    page = HandoutPage(
        **{**page.__dict__, "instructions": handout_lines("takamatsu", revised), "footer_note": Instruction("", "")}
    )
    render_pdf([page], tmp_path / "h.pdf")
    text = _flat("".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(str(tmp_path / "h.pdf"))))
    assert "録画・録音は禁止されています" not in text and "（削除）" in text
