"""Handout PDF/PNG: QR codes decode, texts are present, fonts are embedded."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from hwdesk.errors import HwdeskError
from hwdesk.handout import (
    FIXED_TEXT,
    HandoutError,
    HandoutPage,
    Instruction,
    qr_halfblocks,
    qr_matrix,
    render_pdf,
    render_png,
)
from hwdesk.handout import dates as handout_dates
from hwdesk.handout import fonts as handout_fonts
from hwdesk.jtext.dates import format_wareki
from hwdesk.paths import data_dir

JST = timezone(timedelta(hours=9))
UTC = UTC

RECORDING = Instruction("オンライン職業相談等の録画・録音はその方法を問わず禁止とさせていただきます。", "第12条(2)")


def _maebashi(**kw) -> HandoutPage:
    base = dict(
        office_name="ハローワーク前橋",
        office_contact="027-290-2111",
        service_label="オンラインセミナー",
        title="応募書類の書き方セミナー（履歴書・職務経歴書）",
        start=datetime(2026, 1, 15, 14, 0, tzinfo=JST),
        end=datetime(2026, 1, 15, 15, 30, tzinfo=JST),
        platform="zoom",
        join_url="https://us06web.zoom.us/j/81234567890?pwd=AbCdEfGhIjKlMnOpQrStUvWxYz012345.1",
        meeting_id="812 3456 7890",
        passcode="593104",
        seeker_name=None,  # 前橋 prints no names
        instructions=(
            Instruction(
                "利用者はウイルス感染等のセキュリティ侵害が発生していない安全な端末を利用すること。", "第3条(1)"
            ),
            Instruction("本サービス内容の録画・録音はその方法を問わず禁止とさせていただきます。", "第4条第4項"),
            Instruction("通信にかかる費用は利用者の負担となります。", "第2条"),
        ),
        session_ref="S-000101",
    )
    base.update(kw)
    return HandoutPage(**base)


def _shibuya(**kw) -> HandoutPage:
    base = dict(
        office_name="ハローワーク渋谷",
        office_contact="03-3476-8609",
        service_label="オンライン職業相談",
        # given in UTC: shown as 10:30–11:20 JST
        start=datetime(2025, 11, 28, 1, 30, tzinfo=UTC),
        end=datetime(2025, 11, 28, 2, 20, tzinfo=UTC),
        platform="teams",
        join_url=(
            "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjA1ZTQ3YjEtYzQ5OS00ZGQ5LWE2"
            "MmEtMzU4N2Q1YjM0ZGI2%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf%22%7d"
        ),
        meeting_id="437 592 816 204",
        passcode="Hq7vK2",
        seeker_name="渋谷 花子",
        instructions=(
            Instruction("WEBカメラによる通信が可能な端末（スマートフォン、PC等）を用意すること。", "第1条(2)"),
            Instruction("本サービス内容の記録（録音・録画）をしないこととする。", "第4条第3項"),
            Instruction("秘密保持のため、個室又は周囲に他人がいない環境においてサービスを利用すること。", "第6条(2)"),
        ),
        session_ref="S-000202",
    )
    base.update(kw)
    return HandoutPage(**base)


def _takamatsu(**kw) -> HandoutPage:
    base = dict(
        office_name="ハローワーク高松",
        office_contact="087-869-8609",
        service_label="オンライン面接会",
        start=datetime(2025, 12, 2, 10, 0, tzinfo=JST),
        end=datetime(2025, 12, 2, 11, 0, tzinfo=JST),
        platform="webex",
        join_url="https://hellowork-takamatsu.webex.com/hellowork-takamatsu/j.php?MTID=m0123456789abcdef0123456789abcdef",
        meeting_id="2512 345 6789",
        passcode="Kx7pQ2aT",
        seeker_name="高松",
        instructions=(
            Instruction("ハローワークが別途定める方法により申し込んだ方が利用できます。", "第6条"),
            RECORDING,
            Instruction(
                "秘密保持のため、個室又は周囲に他人がいない環境を整えてください。"
                "通訳、介助者等の同席が必要な場合には、予めハローワークにお伝えください。",
                "第12条(3)",
            ),
        ),
        session_ref="S-000303",
    )
    base.update(kw)
    return HandoutPage(**base)


OFFICES = {"maebashi": _maebashi, "shibuya": _shibuya, "takamatsu": _takamatsu}

EXPECTED_DATES = {
    "maebashi": ("令和8年1月15日(木) 14:00〜15:30", "2026-01-15"),
    "shibuya": ("令和7年11月28日(金) 10:30〜11:20", "2025-11-28"),
    "takamatsu": ("令和7年12月2日(火) 10:00〜11:00", "2025-12-02"),
}


# --------------------------------------------------------------------------- helpers


def _pdf(pages, **kw) -> bytes:
    buf = io.BytesIO()
    render_pdf(pages, buf, **kw)
    return buf.getvalue()


def _images(pdf_bytes: bytes, dpi: int = 200) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        return [doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(doc))]
    finally:
        doc.close()


def _texts(pdf_bytes: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def _flat(s: str) -> str:
    return "".join(s.split())


def _qr_codes(img: Image.Image) -> list:
    return [b for b in zxingcpp.read_barcodes(img) if b.format == zxingcpp.BarcodeFormat.QRCode]


def _qr_width(code) -> float:
    p = code.position
    return math.dist((p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y))


def _fonts_not_embedded(pdf_bytes: bytes) -> list[str]:
    """Our replacement for `pdffonts`: every font used must carry its font program."""
    bad: list[str] = []
    seen = 0

    def check_font(font) -> None:
        nonlocal seen
        font = font.get_object()
        seen += 1
        name = str(font.get("/BaseFont"))
        subtype = font.get("/Subtype")
        if subtype == "/Type3":
            return  # glyphs are content streams in the PDF itself
        if subtype == "/Type0":
            for desc in font["/DescendantFonts"]:
                check_font(desc)
            return
        fd = font.get("/FontDescriptor")
        if fd is None:
            bad.append(f"{name} (no FontDescriptor)")
            return
        fd = fd.get_object()
        if not any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            bad.append(name)

    def walk(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            check_font(font)
        for xobj in (resources.get("/XObject") or {}).values():
            xobj = xobj.get_object()
            if xobj.get("/Subtype") == "/Form":
                walk(xobj.get("/Resources"))

    reader = PdfReader(io.BytesIO(pdf_bytes))
    for page in reader.pages:
        walk(page.get("/Resources"))
    assert seen > 0, "no fonts found at all"
    return bad


# --------------------------------------------------------------------------- font, paths


def test_font_file_is_shipped_with_license():
    fonts = data_dir() / "fonts"
    assert (fonts / "ipaexg.ttf").stat().st_size > 1_000_000
    assert (fonts / "IPA_Font_License_Agreement_v1.0.txt").is_file()


def test_module_does_not_import_textual():
    code = "import sys, hwdesk.handout; assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- per office


@pytest.mark.parametrize("office", sorted(OFFICES))
def test_office_handout(office):
    page = OFFICES[office]()
    data = _pdf([page])
    images = _images(data)
    assert len(images) == 1
    codes = _qr_codes(images[0])
    assert [c.text for c in codes] == [page.join_url]

    text = _texts(data)[0]
    flat = _flat(text)
    wareki, western = EXPECTED_DATES[office]
    assert _flat(wareki) in flat
    assert western in flat
    assert _flat(page.passcode) in flat
    assert _flat(page.meeting_id) in flat
    assert "録画・録音" in text
    recording = [ins for ins in page.instructions if "録音" in ins.text]
    assert recording  # each office's own recording ban, not only the footer line
    for ins in page.instructions:
        assert _flat(ins.text) in flat
    assert page.office_contact in flat
    assert page.session_ref in flat
    for ins in page.instructions:
        assert _flat(ins.cite) in flat
    assert _fonts_not_embedded(data) == []


def test_recording_ban_instruction_and_cite_printed():
    flat = _flat(_texts(_pdf([_takamatsu()]))[0])
    assert "録画・録音はその方法を問わず禁止" in flat
    assert "（第12条(2)）" in flat


def test_platform_names():
    assert "Zoom" in _texts(_pdf([_maebashi()]))[0]
    assert "MicrosoftTeams" in _flat(_texts(_pdf([_shibuya()]))[0])
    assert "Webex" in _texts(_pdf([_takamatsu()]))[0]


def test_title_printed():
    flat = _flat(_texts(_pdf([_maebashi()]))[0])
    assert _flat("応募書類の書き方セミナー（履歴書・職務経歴書）") in flat


def test_batch_three_pages_each_with_own_qr():
    pages = [_maebashi(), _shibuya(), _takamatsu()]
    data = _pdf(pages)
    assert len(PdfReader(io.BytesIO(data)).pages) == 3
    images = _images(data)
    assert len(images) == 3
    for img, page in zip(images, pages):
        assert [c.text for c in _qr_codes(img)] == [page.join_url]
    texts = _texts(data)
    for text, office in zip(texts, ("maebashi", "shibuya", "takamatsu")):
        assert _flat(EXPECTED_DATES[office][0]) in _flat(text)
    assert _fonts_not_embedded(data) == []


def test_large_print_qr_decodes_and_is_bigger():
    page = _takamatsu()
    normal = _qr_codes(_images(_pdf([page]))[0])
    large_pdf = _pdf([page], large_print=True)
    large = _qr_codes(_images(large_pdf)[0])
    assert [c.text for c in large] == [page.join_url]
    assert _qr_width(large[0]) > _qr_width(normal[0]) * 1.25
    assert _fonts_not_embedded(large_pdf) == []


def test_large_print_body_text_is_at_least_16pt():
    data = _pdf([_takamatsu()], large_print=True)
    doc = pdfium.PdfDocument(data)
    try:
        sizes = []
        for i in range(len(doc)):
            tp = doc[i].get_textpage()
            text = tp.get_text_range()
            start = text.find("秘密保持のため")
            if start >= 0:
                import pypdfium2.raw as raw

                sizes.append(raw.FPDFText_GetFontSize(tp, start))
        assert sizes and min(sizes) >= 16
    finally:
        doc.close()


def test_large_print_overflow_continues_on_next_page_inside_margins():
    many = tuple(
        Instruction(
            f"{i}番目の注意事項です。" + "接続環境を事前に確認し、静かな個室から参加してください。" * 3, f"第{i}条"
        )
        for i in range(1, 16)
    )
    page = _takamatsu(instructions=many + (RECORDING,))
    data = _pdf([page], large_print=True)
    doc = pdfium.PdfDocument(data)
    try:
        n = len(doc)
        assert n >= 2
        all_text = ""
        for i in range(n):
            pg = doc[i]
            w, h = pg.get_size()
            tp = pg.get_textpage()
            all_text += tp.get_text_range()
            for k in range(tp.count_chars()):
                left, bottom, right, top = tp.get_charbox(k)
                if right - left <= 0:
                    continue
                assert 10 * 2.835 <= left and right <= w - 10 * 2.835, (i, k)
                assert 10 * 2.835 <= bottom and top <= h - 10 * 2.835, (i, k)
        flat = _flat(all_text)
        for ins in many:
            assert _flat(ins.text) in flat
        assert "録画・録音はその方法を問わず禁止" in flat
        assert flat.count("S-000303") == n  # footer on every page
    finally:
        doc.close()
    # the QR is on the first page only and still decodes
    images = _images(data, dpi=150)
    assert [c.text for c in _qr_codes(images[0])] == [page.join_url]
    assert all(not _qr_codes(img) for img in images[1:])


def test_normal_print_five_instructions_fit_one_page():
    many = tuple(Instruction(f"注意事項{i}：" + "あいうえおかきくけこ" * 6, f"第{i}条") for i in range(1, 6))
    data = _pdf([_takamatsu(instructions=many)])
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_english_variant():
    page = _takamatsu(
        service_label="Online job interview",
        instructions=(Instruction("Recording (video or audio) by any means is prohibited.", "第12条(2)"),),
        seeker_name="Takamatsu",
    )
    data = _pdf([page], lang="en")
    text = _texts(data)[0]
    assert "Passcode" in text
    assert "Meeting ID" in text
    assert "Tue 2 Dec 2025 10:00–11:00 (JST)" in text
    assert _flat("令和7年12月2日(火)") in _flat(text)  # 和暦 in small type too
    assert "[第12条(2)]" in text
    assert "様" not in text
    assert [c.text for c in _qr_codes(_images(data)[0])] == [page.join_url]
    assert _fonts_not_embedded(data) == []


def test_fixed_text_has_same_keys_and_no_honorific_leaks():
    assert FIXED_TEXT["ja"].keys() == FIXED_TEXT["en"].keys()
    for key, value in FIXED_TEXT["ja"].items():
        if key != "name_line":
            assert "様" not in value, key


def test_no_name_means_no_sama():
    text = _texts(_pdf([_maebashi(seeker_name=None)]))[0]
    assert "様" not in text
    text = _texts(_pdf([_maebashi(seeker_name="   ")]))[0]
    assert "様" not in text


def test_name_printed_with_sama():
    assert "渋谷 花子 様" in _texts(_pdf([_shibuya()]))[0]


@pytest.mark.parametrize("name", ["[bold]山田[/]", "C:\\[tmp]", "<b>山田</b> &amp;"])
def test_name_printed_literally(name):
    text = _texts(_pdf([_shibuya(seeker_name=name)]))[0]
    assert f"{name} 様" in text


def test_control_characters_are_not_drawn():
    text = _texts(_pdf([_shibuya(seeker_name="[bold]山田[/] \x1b]2;x")]))[0]
    assert "\x1b" not in text
    assert "[bold]山田[/] ]2;x 様" in text


def test_title_with_markup_printed_literally():
    title = "<font size=40>[red]求人[/red]</font> セミナー"
    text = _texts(_pdf([_maebashi(title=title)]))[0]
    assert _flat(title) in _flat(text)


def test_long_url_still_decodes():
    url = "https://example.zoom.us/j/98765432101?pwd="
    url += "x" * (200 - len(url) - 2) + ".1"
    assert len(url) == 200
    page = _maebashi(join_url=url)
    data = _pdf([page])
    assert [c.text for c in _qr_codes(_images(data)[0])] == [url]
    assert _flat(url) in _flat(_texts(data)[0])  # printed (wrapped) under the QR


def test_no_meeting_id_or_passcode():
    page = _shibuya(meeting_id=None, passcode=None)
    text = _texts(_pdf([page]))[0]
    assert "ミーティングID" not in text and "パスコード" not in text
    assert [c.text for c in _qr_codes(_images(_pdf([page]))[0])] == [page.join_url]


def test_other_platform():
    page = _takamatsu(platform="other", join_url="https://meet.example.jp/r/abc-def")
    assert "オンライン会議" in _texts(_pdf([page]))[0]


def test_render_pdf_to_path(tmp_path):
    out = tmp_path / "batch.pdf"
    render_pdf([_maebashi(), _takamatsu()], out)
    assert out.read_bytes().startswith(b"%PDF")
    assert len(PdfReader(out).pages) == 2
    assert not list(tmp_path.glob("*.tmp"))


def test_render_png_decodes(tmp_path):
    page = _takamatsu()
    out = tmp_path / "handout.png"
    render_png(page, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(out)
    assert abs(img.width - 595.28 * 150 / 72) <= 1 and abs(img.height - 841.89 * 150 / 72) <= 1  # A4 at 150 dpi
    assert [c.text for c in _qr_codes(img.convert("L"))] == [page.join_url]


def test_render_png_large_print_multi_page_stacks(tmp_path):
    many = tuple(Instruction("長い注意事項です。" * 12, f"第{i}条") for i in range(1, 12))
    out = tmp_path / "large.png"
    render_png(_takamatsu(instructions=many), out, large_print=True, dpi=72)
    img = Image.open(out)
    assert img.height > 2 * 842


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "url",
    [
        "http://zoom.us/j/123",
        "javascript:alert(1)",
        "zoom.us/j/123",
        "https://",
        "https://user@evil.example/j/1",
        "https://zoom.us/j/1 23",
        "https://zoom.us/j/１２３",
        "",
    ],
)
def test_bad_url_rejected(url):
    with pytest.raises(HandoutError) as ei:
        render_pdf([_takamatsu(join_url=url)], io.BytesIO())
    assert ei.value.message_ja and ei.value.message_en
    assert isinstance(ei.value, HwdeskError)  # the CLI and the app show it as a refusal
    with pytest.raises(HandoutError):
        qr_matrix(url)


def test_naive_datetime_rejected():
    with pytest.raises(HandoutError):
        render_pdf([_takamatsu(start=datetime(2025, 12, 2, 10, 0), end=datetime(2025, 12, 2, 11, 0))], io.BytesIO())


def test_end_before_start_rejected():
    with pytest.raises(HandoutError):
        render_pdf([_takamatsu(end=datetime(2025, 12, 2, 9, 0, tzinfo=JST))], io.BytesIO())


def test_unknown_platform_and_lang_and_empty_batch():
    with pytest.raises(HandoutError):
        render_pdf([_takamatsu(platform="skype")], io.BytesIO())
    with pytest.raises(HandoutError):
        render_pdf([_takamatsu()], io.BytesIO(), lang="fr")
    with pytest.raises(HandoutError):
        render_pdf([], io.BytesIO())


def test_failed_render_leaves_no_file(tmp_path):
    out = tmp_path / "x.pdf"
    with pytest.raises(HandoutError):
        render_pdf([_takamatsu(), _takamatsu(join_url="http://x")], out)
    assert not out.exists()


# --------------------------------------------------------------------------- QR text


@pytest.mark.parametrize("url", [_takamatsu().join_url, _shibuya().join_url, "https://a.jp/"])
def test_qr_halfblocks_shape_and_content(url):
    m = qr_matrix(url)
    size = len(m)
    assert all(len(row) == size for row in m)
    # quiet zone of 4 light modules all around
    for k in range(4):
        assert not any(m[k]) and not any(m[-1 - k])
        assert not any(row[k] for row in m) and not any(row[-1 - k] for row in m)
    lines = qr_halfblocks(url)
    assert len(lines) == math.ceil(size / 2)
    assert {len(line) for line in lines} == {size}
    assert set("".join(lines)) <= set("▀▄█ ")
    # inverse drawing: decode the characters back into the matrix
    top_light = {"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}
    for r, line in enumerate(lines):
        for col, ch in enumerate(line):
            up, down = top_light[ch]
            assert m[2 * r][col] == (not up)
            if 2 * r + 1 < size:
                assert m[2 * r + 1][col] == (not down)


def test_qr_halfblocks_renders_scannable_on_dark_terminal():
    url = _takamatsu().join_url
    lines = qr_halfblocks(url)
    # paint: character foreground = light, background (dark terminal) = dark
    scale = 8
    w, h = len(lines[0]), len(lines) * 2
    img = Image.new("L", (w * scale, h * scale), 0)
    px = img.load()
    for r, line in enumerate(lines):
        for col, ch in enumerate(line):
            up = ch in "█▀"
            down = ch in "█▄"
            for dy in range(scale):
                for dx in range(scale):
                    if up:
                        px[col * scale + dx, 2 * r * scale + dy] = 255
                    if down:
                        px[col * scale + dx, (2 * r + 1) * scale + dy] = 255
    assert [c.text for c in _qr_codes(img)] == [url]


# --------------------------------------------------------------------------- private helpers


def test_wareki_helpers():
    # The handout writes dates with jtext's 和暦 (令和元年, the era boundary).
    assert format_wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(date(2019, 4, 30)) == "平成31年4月30日"
    s = datetime(2025, 12, 1, 15, 30, tzinfo=UTC)  # 00:30 JST on 12/2
    assert handout_dates._span_ja(s, s + timedelta(hours=1)) == "令和7年12月2日(火) 00:30〜01:30"
    assert handout_dates._span_ja(s, s + timedelta(days=1)) == "令和7年12月2日(火) 00:30〜令和7年12月3日(水) 00:30"
    assert handout_dates._span_en(s, s + timedelta(hours=1)) == "Tue 2 Dec 2025 00:30–01:30 (JST)"


def test_wrap_japanese_by_width_with_kinsoku():
    handout_fonts._ensure_fonts()
    text = "利用者はウイルス感染等のセキュリティ侵害が発生していない安全な端末を利用すること。" * 4
    width = 200.0
    lines = handout_fonts._wrap(text, 11, width)
    assert "".join(lines) == text
    for line in lines:
        assert handout_fonts._w(line, 11) <= width + 0.01
        assert line[0] not in "、。）」ー"
    en = "Recording (video or audio) by any means is prohibited during the session."
    lines = handout_fonts._wrap(en, 11, 120)
    assert " ".join(lines) == en
    assert all(handout_fonts._w(line, 11) <= 120 for line in lines)
