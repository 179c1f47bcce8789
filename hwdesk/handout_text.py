"""What a handout tells the seeker: each office's lines, quoted from its terms or tied to them.

Every instruction printed on a handout is one of two kinds (see :class:`Line`):

* a **quote** — the terms' own words, read at print time from the cited article of the version
  in force (``data/terms/*.json`` or a registered revision), exactly as written; or
* a **plain** sentence — the same rule in polite, plain Japanese (です・ます), printed with its
  citation, and carrying the key phrases of the article it restates. A plain line is printed
  only while every key phrase is still in the cited text of the version in force; when a
  revision changed the article, the article's own text is printed instead, so a handout never
  states a rule the terms in force do not say.

English lines are plain translations of the same rows, tied to the article by the same key
phrases (or quote). ``tests/test_handout_text.py`` checks every office's rows, in Japanese and
English, line by line against its terms.

The table below is the one place handout wording lives. The rows are keyed by what they are
about (``webcam``, ``preparation``, ``private_room``, ``recording``, ``environment``, ``costs``,
``information``), the same keys as the office profile's requirements, so the rule engine can
choose which requirement lines apply.

This module never imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwdesk.handout import Instruction
from hwdesk.terms import TermsDocument, cite_text, cite_text_en
from hwdesk.texts import pick

__all__ = ["Line", "LINES", "FOOTER", "cited_text", "handout_lines", "footer_note", "line_text"]


@dataclass(frozen=True)
class Line:
    """One handout line of one office.

    ``quote`` set: the JA text is that exact span of the cited text (often all of it). ``quote`` None: ``ja`` is a plain sentence and ``phrases`` are the words
    of the cited text it restates (each must occur in that text). ``en`` is the English line.
    ``sub`` lines are printed indented under the line before them (the items of a list).
    """

    key: str
    cite: dict
    en: str
    quote: str | None = None
    ja: str = ""
    phrases: tuple[str, ...] = ()
    sub: bool = False

    @property
    def ties(self) -> tuple[str, ...]:
        """What must be in the cited text for this line (JA or EN) to be printed as it stands."""
        return (self.quote,) if self.quote is not None else self.phrases


def _q(key: str, cite: dict, en: str, quote: str, *, sub: bool = False) -> Line:
    return Line(key, cite, en, quote=quote, sub=sub)


def _p(key: str, cite: dict, ja: str, en: str, *phrases: str) -> Line:
    return Line(key, cite, en, ja=ja, phrases=phrases)


_ENV_EN = {
    1: "Use a safe device that has no virus infection or other security breach.",
    2: "The device must be connected to the internet. (Internet connections whose confidentiality or safety is unknown, "
    "such as free internet services whose connection route is not known to be managed, must not be used.)",
    3: "Use an operating system that is still supported, with the latest security patches applied. "
    "(A device with an operating system that is no longer supported must not be used.)",
    4: "Turn on the personal firewall (Windows Firewall or similar) and allow only the services that are needed.",
    5: "No file-sharing software (Winny, Share, etc.) may be installed on the device. "
    "Do not run software you do not need while using the service.",
}


def _env_items(article: int, service: str, antivirus: str, antivirus_en: str) -> list[Line]:
    """The six items of the environment article (前橋/渋谷 第3条, 高松 第5条), each quoted whole:
    the offices' texts differ only in the service's name in (5) and the bracket in (6)."""
    ja = {
        1: "利用者はウイルス感染等のセキュリティ侵害が発生していない安全な端末を利用すること。",
        2: "利用者端末はインターネットに接続されていること。（秘匿性や安全性が不明なものや接続経路の管理状況が不明な"
        "無料のインターネット接続サービス等の利用は禁止する。）",
        3: "利用者端末のOSはサポート期間中のものを用い、最新のセキュリティ対策パッチを適用すること。"
        "（サポートが終了したOSを搭載した端末の利用は禁止する。）",
        4: "パーソナルファイアウォール（Windowsファイアウォール等）の機能を有効にし、必要なサービスの許可だけを最小限に設定すること。",
        5: f"利用者端末にファイル共有ソフト（Winny、Share等）がインストールされていないこと。また、{service}利用中に不要なソフトは起動しないこと。",
        6: f"利用者端末にウイルス対策ソフト（{antivirus}）がインストールされており、また最新のパターンファイルに更新されていること。",
    }
    en = {**_ENV_EN, 6: antivirus_en}
    return [_q("environment", {"article": article, "item": n}, en[n], ja[n], sub=True) for n in ja]


def _env_and_costs(*cost_phrases: str) -> list[Line]:
    """The environment items and the costs line, word for word the same in 前橋's and 渋谷's
    terms (第3条, 第2条); ``cost_phrases`` tie the costs line to each office's own 第2条."""
    return [
        *_env_items(
            3,
            "本サービス",
            "有償版相当",
            "Antivirus software (equivalent to a paid version) must be installed and its pattern file up to date.",
        ),
        _p(
            "costs",
            {"article": 2},
            "本サービスの利用料は無料です。ただし、本サービスを利用するための通信機器・通信料等の費用は、利用者のご負担となります。",
            "The service is free of charge. The costs of communication devices, data charges and the like for using "
            "it are paid by you.",
            *cost_phrases,
        ),
    ]


# Each office's handout lines in print order: what matters most at the session first (the device,
# the private room, the recording ban), then the preparation and environment lists, then costs.
LINES: dict[str, tuple[Line, ...]] = {
    "maebashi": (
        _q(
            "private_room",
            {"article": 3, "item": 7},
            "Join from a private room or a place with no one else around. (If an interpreter, caregiver or other "
            "companion needs to be present, tell this Hello Work in advance.)",
            "利用の際には、個室又は周囲に他人がいない環境を整えること（通訳、介助者等の同席が必要な場合には、"
            "予め当ハローワークにお伝えください。）。",
        ),
        _q(
            "recording",
            {"article": 4, "paragraph": 4},
            "Recording the service (video or audio) by any means is prohibited.",
            "本サービス内容の録画・録音はその方法を問わず禁止とさせていただきます。",
        ),
        _q(
            "information",
            {"article": 4, "paragraph": 4},
            "Use what you learn in the service only for the purpose of the service, not for anything else.",
            "利用者は、本サービス利用時に知り得た情報は、本サービス実施の目的のみに使用し、目的外の利用をしないこととします。",
        ),
        _q(
            "environment",
            {"article": 3},
            "Use the service with the following environment (device and connection):",
            "利用者は、以下の環境（端末・接続環境）をもって、本サービスを利用することとします。",
        ),
        *_env_and_costs("利用料は無料", "本サービスを利用するための通信機器・通信料等の費用", "負担"),
    ),
    "shibuya": (
        _p(
            "webcam",
            {"article": 1, "item": 2},
            "WEBカメラによる通信が可能な端末（スマートフォン、ＰＣ等）と、通信に使用するアプリケーションソフトなど、"
            "本サービスを利用するに当たり必要な環境をご準備ください。",
            "You need a device that can communicate with a webcam (smartphone, PC, etc.) and the environment "
            "needed to use the service, such as the application software used for the connection.",
            "WEBカメラによる通信が可能な端末（スマートフォン、ＰＣ等）",
            "通信に使用するアプリケーションソフトなど",
            "本サービスを利用するに当たり必要な環境を準備",
        ),
        _p(
            "private_room",
            {"article": 6, "item": 2},
            "秘密保持のため、個室又は周囲に他人がいない環境においてサービスをご利用ください。"
            "通訳、介助者等の同席が必要な場合には、予め当ハローワークにお申し出ください。",
            "To keep your information confidential, join from a private room or a place with no one else around. "
            "If an interpreter, caregiver or other companion needs to be present, tell this Hello Work in advance.",
            "秘密保持のため",
            "個室又は周囲に他人がいない環境においてサービスを利用",
            "通訳、介助者等の同席が必要な場合には、予め当ハローワークに申し出",
        ),
        _p(
            "recording",
            {"article": 4, "paragraph": 3},
            "本サービス内容の記録（録音・録画）はしないでください。",
            "Do not record the service (audio or video).",
            "本サービス内容の記録（録音・録画）をしない",
        ),
        _p(
            "information",
            {"article": 4, "paragraph": 3},
            "本サービス利用時に知り得た情報は、本サービス実施の目的のみに使用し、目的外の利用はしないでください。",
            "Use what you learn in the service only for the purpose of the service, not for anything else.",
            "本サービス利用時に知り得た情報は、本サービス実施の目的のみに使用し、目的外の利用をしない",
        ),
        _p(
            "environment",
            {"article": 3},
            "以下の環境（端末・接続環境）で本サービスをご利用ください。",
            "Use the service with the following environment (device and connection):",
            "以下の環境（端末・接続環境）をもって、本サービスを利用",
        ),
        *_env_and_costs("利用料は無料", "本サービスを利用するための通信機器・通信料等の費用は利用者が負担"),
    ),
    "takamatsu": (
        _p(
            "webcam",
            {"article": 2, "item": 3},
            "WEBカメラによる通信が可能な端末（スマートフォン、PC等）と、オンライン職業相談等に必要な環境をご準備ください。",
            "You need a device that can communicate with a webcam (smartphone, PC, etc.) and the environment "
            "needed for the online service.",
            "WEBカメラによる通信が可能な端末（スマートフォン、PC等）",
            "オンライン職業相談等に必要環境を準備",
        ),
        _q(
            "private_room",
            {"article": 12, "item": 3},
            "To keep your information confidential, join from a private room or a place with no one else around. "
            "If an interpreter, caregiver or other companion needs to be present, tell Hello Work in advance.",
            "オンライン職業相談等の際には、秘密保持のため、個室又は周囲に他人がいない環境を整えてください。"
            "通訳、介助者等の同席が必要な場合には、予めハローワークにお伝えください。",
        ),
        _q(
            "recording",
            {"article": 12, "item": 2},
            "Recording the online session (video or audio) by any means is prohibited.",
            "オンライン職業相談等の録画・録音はその方法を問わず禁止とさせていただきます。",
        ),
        _q(
            "preparation",
            {"article": 12, "item": 4},
            "Before the session, make the application named in Article 4 ready to use, and check that your "
            "connection will not get in the way of the session.",
            "オンライン職業相談等に先立ち、第4条に規定するアプリケーションを使用可能な状態にしておいてください。"
            "また、通信環境がオンライン職業相談等に支障がないことの確認を済ませてください。",
        ),
        _q(
            "preparation",
            {"article": 12, "item": 4},
            "In addition, for the device and so on that you use:",
            "その他、オンライン職業相談等に利用する端末等について以下のとおりとしてください。",
        ),
        _q(
            "preparation",
            {"article": 12, "item": 4},
            "Use an operating system that is still supported, with the latest security patches. "
            "Do not use a device with an operating system that is no longer supported.",
            "OSはサポート期間中のものを用い、最新のセキュリティ対策パッチを適用してください。"
            "サポートが終了したOSを搭載した端末は利用しないでください。",
            sub=True,
        ),
        _q(
            "preparation",
            {"article": 12, "item": 4},
            "Turn on the personal firewall (Windows Firewall or similar) and allow only the services that are needed.",
            "パーソナルファイアウォール（Windowsファイアウォール等）の機能を有効にし、必要なサービスの許可だけを最小限に設定してください。",
            sub=True,
        ),
        _q(
            "preparation",
            {"article": 12, "item": 4},
            "Always keep the browser and software you use for the session at their latest version, "
            "with the latest patches.",
            "オンライン職業相談等において利用するブラウザやソフトウェアについては常に最新のバージョンに更新し、最新のパッチを適用してください。",
            sub=True,
        ),
        _q(
            "environment",
            {"article": 5},
            "Use the online service with the following environment (device and connection):",
            "利用者は、以下の環境（端末・接続環境）をもって、オンライン職業相談等を利用することとします。",
        ),
        *_env_items(
            5,
            "オンライン職業相談等",
            "有償版相当に限ります。",
            "Antivirus software (only one equivalent to a paid version) must be installed and its pattern "
            "file up to date.",
        ),
        _p(
            "costs",
            {"article": 3},
            "オンライン職業相談等の利用料は無料です。",
            "The online service is free of charge.",
            "利用料は無料",
        ),
        _q(
            "costs",
            {"article": 12, "item": 5},
            "All communication costs for the session are paid by you. Take particular care if your plan is "
            "charged by the amount of data.",
            "オンライン職業相談等を実施するための通信に要する費用は、全て利用者のご負担となります。"
            "特に、従量制の料金設定としている場合など十分ご注意ください。",
        ),
    ),
}

# The footer's one-line reminder, per office: a plain sentence tied to the recording ban.
FOOTER: dict[str, Line] = {
    "maebashi": _p(
        "recording",
        {"article": 4, "paragraph": 4},
        "録画・録音は禁止されています。",
        "Recording (video or audio) is prohibited.",
        "録画・録音",
        "禁止",
    ),
    "shibuya": _p(
        "recording",
        {"article": 4, "paragraph": 3},
        "録音・録画は禁止されています。",
        "Recording (audio or video) is prohibited.",
        "記録（録音・録画）をしない",
    ),
    "takamatsu": _p(
        "recording",
        {"article": 12, "item": 2},
        "録画・録音は禁止されています。",
        "Recording (video or audio) is prohibited.",
        "録画・録音",
        "禁止",
    ),
}


def cited_text(doc: TermsDocument, cite: dict) -> str:
    """The text of the article / paragraph / item ``cite`` names, exactly as in ``doc``.

    An article cited without paragraph or item gives its first paragraph's text. Raises
    KeyError when the version has no such paragraph or item (a revision renumbered it).
    """
    art = doc.article(cite["article"])
    para_no = cite.get("paragraph") or 1
    para = next(p for p in art["paragraphs"] if p["number"] == para_no)
    if cite.get("item"):
        return next(i for i in para.get("items", []) if i["number"] == cite["item"])["text"]
    return para.get("text", "")


def _cite(cite: dict, lang: str) -> str:
    return pick(cite_text, cite_text_en, lang)(cite)


def line_text(line: Line, doc: TermsDocument, lang: str = "ja") -> Instruction:
    """One row printed against ``doc`` (the version in force).

    A row whose quote or key phrases are no longer in the cited text prints the cited text
    itself (in both languages: there is no checked translation of a revised article).
    """
    try:
        source = cited_text(doc, line.cite)
    except (KeyError, StopIteration):
        source = doc.article_text(line.cite["article"])  # the article stands, its numbering moved
        return Instruction(source, cite_text({"article": line.cite["article"]}))
    flat = source.replace("\n", "")
    if not all(t.replace("\n", "") in flat for t in line.ties):
        return Instruction(" ".join(_lines_of(source)), cite_text(line.cite))
    if lang == "en":  # the English sentence stands for the article; Japanese quotes it where it can
        return Instruction(line.en, _cite(line.cite, "en"), sub=line.sub)
    return Instruction(line.ja if line.quote is None else line.quote, cite_text(line.cite), sub=line.sub)


def _lines_of(text: str) -> list[str]:
    return [t.strip() for t in text.splitlines() if t.strip()]


def handout_lines(
    office_id: str, doc: TermsDocument, *, lang: str = "ja", keys: set[str] | None = None
) -> tuple[Instruction, ...]:
    """The instructions of ``office_id``'s handout against ``doc``, in print order.

    ``keys`` limits the rows to those topics (the requirements that apply to the seeker and
    service, as the rule engine decides); None prints every row of the office.
    """
    out: list[Instruction] = []
    for row in LINES.get(office_id, ()):
        if keys is not None and row.key not in keys:
            continue
        ins = line_text(row, doc, lang)
        if ins not in out:  # rows of one revised article fall back to the same text: print it once
            out.append(ins)
    return tuple(out)


def footer_note(office_id: str, doc: TermsDocument, *, lang: str = "ja") -> Instruction | None:
    """The footer's recording reminder with the office's article, or None if the office has none."""
    line = FOOTER.get(office_id)
    if line is None:
        return None
    ins = line_text(line, doc, lang)
    if ins.text != pick(line.ja, line.en, lang):
        return None  # the ban was revised away or renumbered: the notes carry the article's own text
    return ins
