"""Job seekers: the registration form's rules, duplicate checks, and search.

Search is designed for a million seekers: every path is an index seek that stops at one page.
- 求職番号 and phone: prefix range on a unique/plain index;
- reading (hiragana, katakana or half-width): prefix range on ``kana_key``;
- any part of the kanji name: intersect the 1- and 2-character grams in ``name_gram``
  (FTS5's trigram tokenizer cannot answer the one- and two-character fragments that most
  Japanese name searches are), then confirm with a substring test on the few candidates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import and_, delete, exists, func, insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.jtext import (
    ParseError,
    kana_key,
    looks_like_seeker_no,
    normalize_name,
    parse_date,
    parse_email,
    parse_phone,
    parse_reading,
    parse_seeker_no,
    to_katakana,
)
from hwdesk.models import REGISTRATION_KINDS, NameGram, Office, Seeker
from hwdesk.services.context import Actor, require_office, staff_id

PAGE = 50
FIELD_ORDER = ("seeker_no", "name", "name_kana", "birth_date", "phone", "email", "registration_kind", "registered_on", "office_id")
FIELD_LABELS = {
    "seeker_no": ("求職番号", "Seeker no."),
    "name": ("氏名", "Name"),
    "name_kana": ("フリガナ", "Reading (kana)"),
    "birth_date": ("生年月日", "Date of birth"),
    "phone": ("電話番号", "Phone"),
    "email": ("メール", "E-mail"),
    "registration_kind": ("登録区分", "Registration"),
    "registered_on": ("登録日", "Registered on"),
    "office_id": ("事業所", "Office"),
    "webcam_confirmed": ("WEBカメラ端末", "Webcam device"),
}
REGISTRATION_ALIASES = {
    "窓口": "office", "office": "office", "安定所": "office", "来所": "office",
    "オンライン": "online", "online": "online", "インターネット": "online", "インターネット仮登録": "online",
}


@dataclass
class SeekerForm:
    """What a clerk typed in the seeker form (raw text, validated by ``validate_form``)."""

    seeker_no: str = ""
    name: str = ""
    name_kana: str = ""
    birth_date: str = ""
    phone: str = ""
    email: str = ""
    registration_kind: str = "office"
    registered_on: str = ""
    office_id: str = ""
    webcam_confirmed: bool = False


class SeekerRow(NamedTuple):
    """One search result (columns only: fast to fetch and to paint)."""

    id: int
    seeker_no: str
    name: str
    name_kana: str
    birth_date: date
    phone: str
    office_id: str


def validate_field(name: str, value: str) -> object:
    """Validate one form field; returns the clean value or raises ParseError/ValidationFailed."""
    value = value if isinstance(value, str) else str(value)
    if name == "seeker_no":
        return parse_seeker_no(value)
    if name == "name":
        return normalize_name(value)
    if name == "name_kana":
        return parse_reading(value)
    if name == "birth_date":
        d = parse_date(value, field="birth_date")
        today = date.today()
        if d > today or d.year < today.year - 110:
            raise ValidationFailed(
                "生年月日が範囲外です。", "The date of birth is out of range.", field="birth_date"
            )
        return d
    if name == "phone":
        return parse_phone(value) if value.strip() else ""
    if name == "email":
        return parse_email(value)
    if name == "registration_kind":
        kind = REGISTRATION_ALIASES.get(value.strip())
        if kind is None:
            raise ValidationFailed(
                "登録区分は「窓口」か「オンライン」です。",
                "Registration is 'office' (窓口) or 'online' (オンライン).",
                field="registration_kind",
            )
        return kind
    if name == "registered_on":
        if not value.strip():
            return None
        d = parse_date(value, field="registered_on")
        if d > date.today():
            raise ValidationFailed("登録日が未来の日付です。", "The registration date is in the future.", field="registered_on")
        return d
    if name == "office_id":
        if not value:
            raise ValidationFailed("事業所を選んでください。", "Choose an office.", field="office_id")
        return value
    raise KeyError(name)


def validate_form(form: SeekerForm) -> dict:
    """All fields clean, or ValidationFailed naming the first field to fix (in form order)."""
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
    return clean


def find_duplicates(session: Session, clean: dict, *, exclude_id: int | None = None) -> tuple[Seeker | None, list[Seeker]]:
    """(same 求職番号, likely same person: same reading and birth date)."""
    same_no = session.exec(select(Seeker).where(Seeker.seeker_no == clean["seeker_no"])).first()
    if same_no is not None and same_no.id == exclude_id:
        same_no = None
    stmt = select(Seeker).where(Seeker.kana_key == clean["kana_key"], Seeker.birth_date == clean["birth_date"])
    people = [s for s in session.exec(stmt.limit(5)) if s.id != exclude_id]
    return same_no, people


def _check_duplicates(session: Session, clean: dict, *, exclude_id: int | None, allow_same_person: bool) -> None:
    same_no, people = find_duplicates(session, clean, exclude_id=exclude_id)
    if same_no is not None:
        raise ValidationFailed(
            f"求職番号 {clean['seeker_no']} は既に登録されています（{same_no.name}）。",
            f"Seeker number {clean['seeker_no']} is already registered ({same_no.name}).",
            field="seeker_no",
        )
    if people and not allow_same_person:
        other = people[0]
        raise ValidationFailed(
            f"同じフリガナと生年月日の求職者がいます（{other.seeker_no} {other.name}）。同一人物でないことを確認してから保存してください。",
            f"A seeker with the same reading and date of birth exists ({other.seeker_no} {other.name}). "
            "Confirm it is a different person, then save again.",
            field="name_kana",
        )


def _grams(name: str) -> set[str]:
    s = name.replace(" ", "")
    return set(s) | {s[i : i + 2] for i in range(len(s) - 1)}


def _write_grams(session: Session, seeker_id: int, name: str) -> None:
    session.exec(delete(NameGram).where(col(NameGram.seeker_id) == seeker_id))  # type: ignore[call-overload]
    grams = _grams(name)
    if grams:
        session.exec(insert(NameGram), params=[{"gram": g, "seeker_id": seeker_id} for g in grams])  # type: ignore[call-overload]


def _snapshot(seeker: Seeker) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in seeker.model_dump(
        include={"seeker_no", "name", "name_kana", "birth_date", "phone", "email", "registration_kind", "registered_on", "office_id", "webcam_confirmed"}
    ).items()}


def create_seeker(session: Session, *, actor: Actor, form: SeekerForm, allow_same_person: bool = False) -> Seeker:
    """Register a seeker after validating the form and checking for duplicates."""
    clean = validate_form(form)
    if session.get(Office, clean["office_id"]) is None:
        raise ValidationFailed(f"事業所 '{clean['office_id']}' はありません。", f"No office '{clean['office_id']}'.", field="office_id")
    require_office(actor, clean["office_id"])
    _check_duplicates(session, clean, exclude_id=None, allow_same_person=allow_same_person)
    seeker = Seeker(**clean)
    if seeker.webcam_confirmed:
        seeker.webcam_confirmed_on = date.today()
    session.add(seeker)
    session.flush()
    assert seeker.id is not None
    _write_grams(session, seeker.id, seeker.name)
    audit.record(session, staff_id=staff_id(actor), action="seeker.create", entity="seeker", entity_id=seeker.id,
                 seeker_id=seeker.id, office_id=seeker.office_id, after=_snapshot(seeker))
    return seeker


def update_seeker(session: Session, *, actor: Actor, seeker_id: int, form: SeekerForm, allow_same_person: bool = False) -> Seeker:
    """Save an edited seeker; the audit row keeps before and after."""
    seeker = get_seeker(session, seeker_id)
    require_office(actor, seeker.office_id)
    clean = validate_form(form)
    _check_duplicates(session, clean, exclude_id=seeker_id, allow_same_person=allow_same_person)
    before = _snapshot(seeker)
    if clean["webcam_confirmed"] and not seeker.webcam_confirmed:
        seeker.webcam_confirmed_on = date.today()
    if seeker.registration_kind == "online" and clean["registration_kind"] == "office" and seeker.switched_to_office_on is None:
        seeker.switched_to_office_on = date.today()
    for k, v in clean.items():
        setattr(seeker, k, v)
    seeker.updated_at = datetime.now(UTC)
    session.add(seeker)
    session.flush()
    if before["name"] != seeker.name:
        _write_grams(session, seeker_id, seeker.name)
    audit.record(session, staff_id=staff_id(actor), action="seeker.update", entity="seeker", entity_id=seeker_id,
                 seeker_id=seeker_id, office_id=seeker.office_id, before=before, after=_snapshot(seeker))
    return seeker


def switch_to_office_registration(session: Session, *, actor: Actor, seeker_id: int, on: date | None = None) -> Seeker:
    """高松 第2条(2): an online registrant becomes an office registrant on applying (recorded)."""
    seeker = get_seeker(session, seeker_id)
    if seeker.registration_kind != "online":
        return seeker
    seeker.registration_kind = "office"
    seeker.switched_to_office_on = on or date.today()
    session.add(seeker)
    audit.record(session, staff_id=staff_id(actor), action="seeker.registration_switch", entity="seeker",
                 entity_id=seeker_id, seeker_id=seeker_id, office_id=seeker.office_id,
                 before={"registration_kind": "online"}, after={"registration_kind": "office"})
    return seeker


def set_webcam(session: Session, *, actor: Actor, seeker_id: int, confirmed: bool) -> Seeker:
    """Record that the seeker has (or lacks) a device capable of webcam communication."""
    seeker = get_seeker(session, seeker_id)
    seeker.webcam_confirmed = confirmed
    seeker.webcam_confirmed_on = date.today() if confirmed else None
    session.add(seeker)
    audit.record(session, staff_id=staff_id(actor), action="seeker.webcam", entity="seeker", entity_id=seeker_id,
                 seeker_id=seeker_id, office_id=seeker.office_id, after={"webcam_confirmed": confirmed})
    return seeker


def form_from_seeker(seeker: Seeker) -> SeekerForm:
    """The form pre-filled from a stored seeker (for editing)."""
    from hwdesk.jtext import format_phone

    return SeekerForm(
        seeker_no=seeker.seeker_no,
        name=seeker.name,
        name_kana=seeker.name_kana,
        birth_date=seeker.birth_date.isoformat(),
        phone=format_phone(seeker.phone) if seeker.phone else "",
        email=seeker.email,
        registration_kind=seeker.registration_kind,
        registered_on=seeker.registered_on.isoformat() if seeker.registered_on else "",
        office_id=seeker.office_id,
        webcam_confirmed=seeker.webcam_confirmed,
    )


def get_seeker(session: Session, seeker_id: int) -> Seeker:
    """A seeker by id, or NotFound."""
    seeker = session.get(Seeker, seeker_id)
    if seeker is None:
        raise NotFound(f"求職者 {seeker_id} は見つかりません。", f"Seeker {seeker_id} not found.")
    return seeker


def get_by_number(session: Session, seeker_no: str) -> Seeker:
    """A seeker by 求職番号 (any accepted spelling), or NotFound."""
    try:
        canonical = parse_seeker_no(seeker_no)
    except ParseError:
        canonical = seeker_no
    seeker = session.exec(select(Seeker).where(Seeker.seeker_no == canonical)).first()
    if seeker is None:
        raise NotFound(f"求職番号 {seeker_no} の求職者はいません。", f"No seeker with number {seeker_no}.")
    return seeker


_COLUMNS = (Seeker.id, Seeker.seeker_no, Seeker.name, Seeker.name_kana, Seeker.birth_date, Seeker.phone, Seeker.office_id)


def _prefix(column, prefix: str, dialect: str):
    if dialect == "sqlite":
        # SQLite's LIKE is case-insensitive and skips the index: a range on the binary order does not.
        return and_(column >= prefix, column < prefix + "\U0010ffff")
    return column.startswith(prefix, autoescape=True)


def _is_kana_query(q: str) -> bool:
    k = to_katakana(q).replace(" ", "").replace("・", "")
    return bool(k) and all(("\u30a1" <= ch <= "\u30fa") or ch in "ーヽヾ" for ch in k)


def search(session: Session, query: str, *, limit: int = PAGE, office_id: str | None = None) -> list[SeekerRow]:
    """Seekers matching ``query`` by number, phone, reading or any part of the name (one page)."""
    import unicodedata

    q = unicodedata.normalize("NFKC", query).strip()
    if not q:
        return []
    dialect = session.get_bind().dialect.name
    base = select(*_COLUMNS).where(col(Seeker.anonymized_at).is_(None))
    if office_id:
        base = base.where(Seeker.office_id == office_id)
    digits = q.replace("-", "").replace(" ", "")
    rows: list = []
    if digits.isdigit():
        if looks_like_seeker_no(q):
            try:
                canonical = parse_seeker_no(q)
                rows += session.exec(base.where(Seeker.seeker_no == canonical)).all()
            except ParseError:
                pass
        num_prefix = digits[:5] + ("-" + digits[5:] if len(digits) > 5 else "")
        rows += session.exec(base.where(_prefix(Seeker.seeker_no, num_prefix, dialect)).order_by(Seeker.seeker_no).limit(limit)).all()
        if digits.startswith("0"):
            rows += session.exec(base.where(_prefix(Seeker.phone, digits, dialect)).order_by(Seeker.phone).limit(limit)).all()
    elif _is_kana_query(q):
        key = kana_key(q)
        rows += session.exec(base.where(_prefix(Seeker.kana_key, key, dialect)).order_by(Seeker.kana_key).limit(limit)).all()
    else:
        frag = q.replace(" ", "")
        grams = [frag] if len(frag) == 1 else sorted({frag[i : i + 2] for i in range(len(frag) - 1)})
        # Drive the query from the first gram's index entries joined to the seeker by rowid, the
        # other grams as EXISTS probes: it stops at one page. (``id IN (subquery)`` made SQLite
        # build the whole posting list first: ~100k ids and ~25 ms for '山' at 1M seekers.)
        if len(grams) > 1:  # drive from the rarest gram (counting a covering-index range is cheap)
            size = {g: session.exec(select(func.count()).select_from(NameGram).where(NameGram.gram == g)).one() for g in grams}
            grams.sort(key=lambda g: size[g])
        first = aliased(NameGram)
        stmt = base.where(first.seeker_id == Seeker.id, first.gram == grams[0])
        for g in grams[1:]:
            other = aliased(NameGram)
            stmt = stmt.where(exists().where(other.gram == g, other.seeker_id == Seeker.id))
        if len(frag) > 2:
            stmt = stmt.where(func.replace(Seeker.name, " ", "").contains(frag, autoescape=True))
        rows += session.exec(stmt.limit(limit)).all()
    seen: set[int] = set()
    out = []
    for r in rows:
        if r[0] not in seen:
            seen.add(r[0])
            out.append(SeekerRow(*r))
    return out[:limit]


def anonymize(session: Session, *, actor: Actor, seeker_id: int) -> None:
    """Replace a seeker's personal data by placeholders, keeping the statistics (retention)."""
    seeker = get_seeker(session, seeker_id)
    seeker.name = f"匿名化済み {seeker_id}"
    seeker.name_kana = "トクメイ"
    seeker.kana_key = "トクメイ"
    seeker.phone = ""
    seeker.email = ""
    seeker.anonymized_at = datetime.now(UTC)
    session.add(seeker)
    session.exec(delete(NameGram).where(col(NameGram.seeker_id) == seeker_id))  # type: ignore[call-overload]
    audit.record(session, staff_id=staff_id(actor), action="seeker.anonymize", entity="seeker", entity_id=seeker_id, seeker_id=seeker_id)


def form_dict(form: SeekerForm) -> dict:
    """A form as a plain dict (for drafts)."""
    return asdict(form)


def form_from_dict(d: dict) -> SeekerForm:
    """A form from a draft dict (unknown keys ignored)."""
    names = {f.name for f in fields(SeekerForm)}
    return SeekerForm(**{k: v for k, v in d.items() if k in names})


__all__ = [
    "SeekerForm", "SeekerRow", "validate_field", "validate_form", "find_duplicates", "create_seeker",
    "update_seeker", "switch_to_office_registration", "set_webcam", "form_from_seeker", "get_seeker",
    "get_by_number", "search", "anonymize", "FIELD_LABELS", "FIELD_ORDER"
]
