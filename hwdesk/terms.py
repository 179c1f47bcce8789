"""The offices' terms of use and profiles, as shipped in ``data/`` (see docs/design.md).

Every rule in ``hwdesk.services`` reads its article citation from the office profile, so that a
rule is never one office's text applied to all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, time
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from hwdesk.errors import NotFound, StoreError
from hwdesk.jtext.addresses import PLATFORM_NAMES
from hwdesk.paths import data_dir
from hwdesk.texts import pick

SERVICE_LABELS = {
    "counseling": ("オンライン職業相談", "Online job counseling"),
    "referral": ("オンライン職業紹介", "Online job referral"),
    "seminar": ("オンラインセミナー", "Online seminar"),
    "interview": ("オンライン面接会", "Online interview session"),
    "tour": ("オンライン企業見学会", "Online company tour"),
    "selection": ("オンライン管理選考", "Online managed selection"),
}

PLATFORM_LABELS = {**PLATFORM_NAMES, "other": "その他 / Other"}  # a platform as staff choose and read it


def service_label(kind: str, lang: str = "ja") -> str:
    """The name of a service kind in ``lang``."""
    ja, en = SERVICE_LABELS.get(kind, (kind, kind))
    return pick(ja, en, lang)


def cite_text(cite: dict | None) -> str:
    """``{"article": 4, "paragraph": 2, "item": 3}`` → ``第4条第2項(3)``."""
    if not cite:
        return ""
    if cite.get("preamble"):
        return "前文"
    out = f"第{cite['article']}条"
    if cite.get("paragraph") and cite["paragraph"] > 1:
        out += f"第{cite['paragraph']}項"
    if cite.get("item"):
        out += f"({cite['item']})"
    return out


def cite_text_en(cite: dict | None) -> str:
    """English form of a citation: ``Art. 4(2)(iii)`` style kept simple: ``Art. 4 para. 2 item 3``."""
    if not cite:
        return ""
    if cite.get("preamble"):
        return "Preamble"
    out = f"Art. {cite['article']}"
    if cite.get("paragraph") and cite["paragraph"] > 1:
        out += f" para. {cite['paragraph']}"
    if cite.get("item"):
        out += f" item {cite['item']}"
    return out


class OfficeHours(BaseModel):
    """The office's opening hours."""

    model_config = ConfigDict(frozen=True)

    open: time = time(8, 30)
    close: time = time(17, 15)


class OfficeProfileData(BaseModel):
    """The shape of ``data/offices/<id>.json``, checked when a profile is loaded.

    The nested parts the rule engine reads (``requirements``, the article cites) stay plain
    dicts: ``hwdesk/conditions.py`` is their one reader. Unknown top-level keys are kept, so a
    profile written by a newer release still loads.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    name: str
    name_en: str
    bureau: str = ""
    head: str = ""
    contact_phone: str = ""
    hours: OfficeHours = OfficeHours()
    idle_lock_minutes: int = 5
    platforms: tuple[str, ...] = ("zoom",)
    handout_name_form: str = "none"  # none | surname | full: the seeker's name on a handout
    offer_reply_hours: float | None = None  # an offered seat's reply period; None: until the day's close
    services: tuple[str, ...]
    terms_files: tuple[str, ...] = ()
    requirements: dict[str, Any]
    articles: dict[str, dict | None] = {}
    revision_grounds: dict[str, dict] = {}
    termination_grounds: dict[str, dict | None] = {}
    termination_ends_agreement: bool = False
    unverified: dict[str, Any] = {}


@dataclass(frozen=True)
class OfficeProfile:
    """An office's profile (``data/offices/<id>.json``): ``raw`` as stored, ``data`` checked and typed."""

    raw: dict
    data: OfficeProfileData = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            data = OfficeProfileData.model_validate(self.raw)
        except ValidationError as exc:
            office = self.raw.get("id", "?") if isinstance(self.raw, dict) else "?"
            where = ".".join(str(part) for part in exc.errors()[0]["loc"])
            raise StoreError(
                f"事業所プロファイル '{office}' の形式が正しくありません（{where}）。",
                f"The profile of office '{office}' is malformed ({where}).",
            ) from exc
        object.__setattr__(self, "data", data)

    @property
    def id(self) -> str:
        """The office's short name (maebashi, shibuya, takamatsu)."""
        return self.data.id

    @property
    def name(self) -> str:
        """The office's Japanese name."""
        return self.data.name

    def display_name(self, lang: str = "ja") -> str:
        """The office's name in ``lang``."""
        return pick(self.data.name, self.data.name_en, lang)

    @property
    def services(self) -> list[str]:
        """Service kinds the office offers online."""
        return list(self.data.services)

    @property
    def platforms(self) -> list[str]:
        """Meeting platforms the office uses."""
        return list(self.data.platforms)

    @property
    def opening(self) -> tuple[time, time]:
        """Opening hours (default 8:30–17:15)."""
        return self.data.hours.open, self.data.hours.close

    @property
    def idle_lock_minutes(self) -> int:
        """Minutes of inactivity before the screen locks."""
        return self.data.idle_lock_minutes

    @property
    def requirements(self) -> dict:
        """Conditions of use from the office's terms (consent, registration, webcam …)."""
        return self.raw["requirements"]

    @property
    def consent_method(self) -> str:
        """``application`` or ``deemed_by_use``."""
        return self.raw["requirements"]["consent"]["method"]

    def article(self, key: str) -> dict | None:
        """The cite for a named article (companions, recording_ban, revision …)."""
        return self.data.articles.get(key)

    def cite(self, key: str) -> str:
        """The citation text for a named article, '' when the office's terms have none."""
        return cite_text(self.article(key))

    def ground_entry(self, ground: str) -> dict | None:
        """The office's own entry for a stop-of-use ground (its article and words), None if its terms lack it."""
        return self.data.termination_grounds.get(ground)

    def ground_cite(self, ground: str) -> dict:
        """The article that makes ``ground`` a reason to stop a seeker's use."""
        grounds = self.data.termination_grounds
        return grounds.get(ground) or grounds.get("other") or self.article("stop_use") or {"article": 0}

    @property
    def ends_agreement(self) -> bool:
        """Whether stopping use cancels the agreement (渋谷 第9条第2項: ``requirements.agreement``)."""
        return bool(self.raw["requirements"].get("agreement") or self.data.termination_ends_agreement)


@dataclass(frozen=True)
class TermsDocument:
    """One version of an office's terms (``data/terms/<office>-v<n>.json``)."""

    raw: dict

    @property
    def office(self) -> str:
        """The office's short name."""
        return self.raw["office"]

    @property
    def version(self) -> int:
        """Version number (increasing with each revision)."""
        return int(self.raw["version"])

    @property
    def title(self) -> str:
        """The document's title as written."""
        return self.raw["title"]

    @property
    def effective_on(self) -> date:
        """The day this text is in force from."""
        return date.fromisoformat(self.raw["effective_on"])

    @property
    def articles(self) -> list[dict]:
        """Articles in order."""
        return self.raw["articles"]

    def article(self, number: int) -> dict:
        """One article by number; NotFound if the document has none."""
        for art in self.articles:
            if art["number"] == number:
                return art
        raise NotFound(f"第{number}条はありません。", f"There is no article {number}.")

    def article_text(self, number: int) -> str:
        """An article as plain text, the way a clerk reads it aloud."""
        return article_as_text(self.article(number))

    @property
    def issuer(self) -> str:
        """Who issued the text, as signed (e.g. 高松公共職業安定所長)."""
        return self.raw.get("issuer", "")

    def date_lines(self, lang: str = "ja") -> list[str]:
        """The document's dates exactly as its text writes them: 高松 "令和3年3月1日策定" and
        "令和5年12月18日改訂", 渋谷 its 附則 "本規約は令和４年５月１日より施行するものとする。", 前橋 a bare
        "令和４年４月２０日" with no label. English: "established 2021-03-01" etc., "dated …" for a bare date."""
        from hwdesk.jtext.dates import format_date_en

        out = []
        for d in self.raw.get("dates", []):
            en = f"{DATE_KIND_EN.get(d.get('kind', ''), 'dated')} {format_date_en(date.fromisoformat(d['iso']))}"
            out.append(pick(d.get("text") or f"{d['wareki']}{d.get('kind', '')}", en, lang))
        return out

    def to_json(self) -> str:
        """The document as JSON (stored in ``termsversion.document_json``)."""
        return json.dumps(self.raw, ensure_ascii=False)


# How a date's kind reads in English ("" is a bare date, as 前橋 signs its text).
DATE_KIND_EN = {"策定": "established", "改訂": "revised", "施行": "in force from", "": "dated"}


def article_as_text(art: dict) -> str:
    """Format one article (heading, paragraphs, items) as plain text."""
    lines = [f"（{art['heading']}）" if art.get("heading") else "", f"第{art['number']}条"]
    for para in art.get("paragraphs", []):
        prefix = "" if para["number"] == 1 else f"{para['number']}　"
        if para.get("text"):
            if para["number"] == 1:
                lines[-1] += "　" + para["text"]
            else:
                lines.append(prefix + para["text"])
        for item in para.get("items", []):
            lines.append(f"　({item['number']}) {item['text']}")
    return "\n".join(line for line in lines if line)


def _load(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def office_profiles() -> dict[str, OfficeProfile]:
    """Every shipped office profile by id."""
    folder = data_dir() / "offices"
    out = {}
    for p in sorted(folder.glob("*.json")):
        prof = OfficeProfile(_load(p))
        out[prof.id] = prof
    return out


def office_profile(office_id: str) -> OfficeProfile:
    """One office profile; NotFound names the offices that exist."""
    try:
        return office_profiles()[office_id]
    except KeyError:
        names = ", ".join(office_profiles())
        raise NotFound(
            f"事業所 '{office_id}' はありません（{names}）。", f"No office '{office_id}' (offices: {names})."
        ) from None


@cache
def shipped_terms() -> dict[str, list[TermsDocument]]:
    """Every shipped terms document, per office, oldest first."""
    out: dict[str, list[TermsDocument]] = {}
    for p in sorted((data_dir() / "terms").glob("*.json")):
        doc = TermsDocument(_load(p))
        out.setdefault(doc.office, []).append(doc)
    for docs in out.values():
        docs.sort(key=lambda d: d.version)
    return out


def parse_terms_document(text: str, *, office_id: str) -> TermsDocument:
    """Validate a terms file (same structure as ``data/terms``) for a revision."""
    from hwdesk.errors import ValidationFailed

    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"規約ファイルがJSONとして読めません（{exc.lineno}行目）。",
            f"The terms file is not valid JSON (line {exc.lineno}).",
        ) from None
    except (ValueError, RecursionError):  # an over-long number, nesting beyond the decoder's depth
        raise ValidationFailed(
            "規約ファイルがJSONとして読めません（数値が長すぎるか入れ子が深すぎます）。",
            "The terms file is not valid JSON (a number too long or nesting too deep).",
        ) from None
    problems = []
    if not isinstance(raw, dict):
        problems.append("top level must be an object")
    else:
        for key, typ in (("title", str), ("articles", list), ("version", int), ("effective_on", str)):
            if not isinstance(raw.get(key), typ) or isinstance(raw.get(key), bool):
                problems.append(f"'{key}' missing or not {typ.__name__}")
        if isinstance(raw.get("articles"), list):
            for i, art in enumerate(raw["articles"], 1):
                if (
                    not isinstance(art, dict)
                    or type(art.get("number")) is not int
                    or art.get("number") != i
                    or not isinstance(art.get("paragraphs"), list)
                ):
                    problems.append(f"article #{i} malformed (number must be {i}, paragraphs a list)")
                    break
        if raw.get("office") not in (None, office_id):
            problems.append(f"file is for office '{raw.get('office')}', not '{office_id}'")
        try:
            date.fromisoformat(str(raw.get("effective_on")))
        except ValueError:
            problems.append("'effective_on' must be YYYY-MM-DD")
    if problems:
        msg = "; ".join(problems)
        raise ValidationFailed(f"規約ファイルの形式が正しくありません: {msg}", f"Malformed terms file: {msg}")
    raw["office"] = office_id
    return TermsDocument(raw)
