"""Job seekers: the registration form's rules, duplicate checks, registering, editing, anonymizing.

Finding seekers (the search a clerk types into) is ``hwdesk.services.seeker_search``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import bindparam
from sqlalchemy.orm import attributes
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

from hwdesk import audit, nameindex
from hwdesk.clock import now_utc, today_jst
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.jtext.addresses import parse_email
from hwdesk.jtext.base import ParseError
from hwdesk.jtext.dates import parse_date
from hwdesk.jtext.kana import kana_key, parse_reading
from hwdesk.jtext.numbers import parse_phone, parse_seeker_no
from hwdesk.jtext.text import normalize_name
from hwdesk.models import Office, Seeker
from hwdesk.rawsql import Prepared, RawSql
from hwdesk.services.context import Actor, require_office, staff_id
from hwdesk.services.guard import guard

FIELD_ORDER = (
    "seeker_no",
    "name",
    "name_kana",
    "birth_date",
    "phone",
    "email",
    "registration_kind",
    "registered_on",
    "office_id",
)
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
# The registration kinds a form or CSV may name: a completed registration only (渋谷 第1条(3)
# "オンライン登録、または安定所の利用登録が完了している", 高松 第2条(2) "求職登録が完了している").
# A provisional one (インターネット仮登録) is refused, as is any other word (the list is in the message).
REGISTRATION_ALIASES = {
    "窓口": "office",
    "office": "office",
    "安定所": "office",
    "来所": "office",
    "オンライン": "online",
    "online": "online",
    "オンライン登録": "online",
}
PROVISIONAL_KINDS = ("インターネット仮登録", "仮登録", "provisional")


def registration_kind_error(value: str) -> ValidationFailed:
    """The refusal of a registration kind not in the accepted list (a provisional one said so)."""
    accepted = "・".join(REGISTRATION_ALIASES)
    accepted_en = ", ".join(REGISTRATION_ALIASES)
    if value.strip() in PROVISIONAL_KINDS:
        return ValidationFailed(
            f"仮登録は求職登録の完了ではありません（渋谷 第1条(3)・高松 第2条(2)）。登録区分は次のいずれかです: {accepted}",
            f"A provisional registration is not a completed one (Shibuya Art. 1 item 3, Takamatsu Art. 2 item 2). "
            f"Registration must be one of: {accepted_en}",
            field="registration_kind",
        )
    return ValidationFailed(
        f"登録区分が正しくありません。次のいずれかです: {accepted}",
        f"Unknown registration kind; it must be one of: {accepted_en}",
        field="registration_kind",
    )


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
        today = today_jst()
        if d > today or d.year < today.year - 110:
            raise ValidationFailed("生年月日が範囲外です。", "The date of birth is out of range.", field="birth_date")
        return d
    if name == "phone":
        return parse_phone(value) if value.strip() else ""
    if name == "email":
        return parse_email(value)
    if name == "registration_kind":
        kind = REGISTRATION_ALIASES.get(value.strip())
        if kind is None:
            raise registration_kind_error(value)
        return kind
    if name == "registered_on":
        if not value.strip():
            return None
        d = parse_date(value, field="registered_on")
        if d > today_jst():
            raise ValidationFailed(
                "登録日が未来の日付です。", "The registration date is in the future.", field="registered_on"
            )
        return d
    if name == "office_id":
        if not value:
            raise ValidationFailed("事業所を選んでください。", "Choose an office.", field="office_id")
        return value
    raise KeyError(name)


def validate_form(form: SeekerForm) -> dict:
    """All fields clean, or ValidationFailed naming the first field to fix (in form order)."""
    return validate_values([getattr(form, name) for name in FIELD_ORDER], form.webcam_confirmed)


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def validate_values(values: Sequence[object], webcam_confirmed: object = False) -> dict:
    """``validate_form`` for the fields' raw values given in ``FIELD_ORDER`` (the importer's rows).

    The same checks as ``validate_field`` for each field, in order, written out: one call per
    field instead of a dispatch through ``validate_field`` (this runs for every imported row).
    """
    no, person, reading, birth, phone, email, kind, registered, office = values
    if not (
        no.__class__
        is person.__class__
        is reading.__class__
        is birth.__class__
        is phone.__class__
        is email.__class__
        is kind.__class__
        is registered.__class__
        is office.__class__
        is str
    ):
        no, person, reading, birth, phone, email, kind, registered, office = map(_text, values)
    name = "seeker_no"
    try:
        no = parse_seeker_no(no)
        name = "name"
        person = normalize_name(person)
        name = "name_kana"
        reading = parse_reading(reading)
        name = "birth_date"
        birth = parse_date(birth, field="birth_date")
        today = today_jst()
        if birth > today or birth.year < today.year - 110:
            raise ValidationFailed("生年月日が範囲外です。", "The date of birth is out of range.", field="birth_date")
        name = "phone"
        phone = parse_phone(phone) if phone.strip() else ""
        name = "email"
        email = parse_email(email)
        name = "registration_kind"
        value = kind
        kind = REGISTRATION_ALIASES.get(value.strip())
        if kind is None:
            validate_field(name, value)  # raises the field's message
        name = "registered_on"
        if registered.strip():
            registered = parse_date(registered, field="registered_on")
            if registered > today:
                raise ValidationFailed(
                    "登録日が未来の日付です。", "The registration date is in the future.", field="registered_on"
                )
        else:
            registered = None
        name = "office_id"
        if not office:
            validate_field(name, office)
    except ParseError as exc:
        raise ValidationFailed(exc.message_ja, exc.message_en, field=name) from None
    except ValidationFailed as exc:
        exc.field = name
        raise
    return {
        "seeker_no": no,
        "name": person,
        "name_kana": reading,
        "birth_date": birth,
        "phone": phone,
        "email": email,
        "registration_kind": kind,
        "registered_on": registered,
        "office_id": office,
        "webcam_confirmed": bool(webcam_confirmed),
        "kana_key": kana_key(reading),
        "given_key": given_key(reading),
    }


def given_key(reading: str) -> str:
    """The search key of a reading's words after the first (the given name of "ヤマダ サクラ"),
    "" for a one-word reading. Migration 0010 computes the same in SQL for older rows."""
    parts = (reading or "").split(" ", 1)
    return kana_key(parts[1]) if len(parts) == 2 else ""


def find_duplicates(
    session: Session, clean: dict, *, exclude_id: int | None = None
) -> tuple[Seeker | None, list[Seeker]]:
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


def _snapshot(seeker: Seeker) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, date) else v)
        for k, v in seeker.model_dump(include={*FIELD_ORDER, "webcam_confirmed"}).items()
    }


@guard("clerk")
def create_seeker(session: Session, *, actor: Actor, form: SeekerForm, allow_same_person: bool = False) -> Seeker:
    """Register a seeker after validating the form and checking for duplicates."""
    clean = validate_form(form)
    if session.get(Office, clean["office_id"]) is None:
        raise ValidationFailed(
            f"事業所 '{clean['office_id']}' はありません。", f"No office '{clean['office_id']}'.", field="office_id"
        )
    require_office(actor, clean["office_id"])
    _check_duplicates(session, clean, exclude_id=None, allow_same_person=allow_same_person)
    seeker = Seeker(**clean)
    if seeker.webcam_confirmed:
        seeker.webcam_confirmed_on = today_jst()
    session.add(seeker)
    session.flush()
    assert seeker.id is not None
    nameindex.replace(session, seeker.id, seeker.name)
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="seeker.create",
        entity="seeker",
        entity_id=seeker.id,
        seeker_id=seeker.id,
        office_id=seeker.office_id,
        after=_snapshot(seeker),
    )
    return seeker


@guard("clerk")
def update_seeker(
    session: Session, *, actor: Actor, seeker_id: int, form: SeekerForm, allow_same_person: bool = False
) -> Seeker:
    """Save an edited seeker; the audit row keeps before and after."""
    seeker = get_seeker(session, seeker_id)
    require_office(actor, seeker.office_id)
    clean = validate_form(form)
    _check_duplicates(session, clean, exclude_id=seeker_id, allow_same_person=allow_same_person)
    before = _snapshot(seeker)
    if clean["webcam_confirmed"] and not seeker.webcam_confirmed:
        seeker.webcam_confirmed_on = today_jst()
    if (
        seeker.registration_kind == "online"
        and clean["registration_kind"] == "office"
        and seeker.switched_to_office_on is None
    ):
        seeker.switched_to_office_on = today_jst()
    for k, v in clean.items():
        setattr(seeker, k, v)
    seeker.updated_at = now_utc()
    session.add(seeker)
    session.flush()
    if before["name"] != seeker.name:
        nameindex.replace(session, seeker_id, seeker.name)
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="seeker.update",
        entity="seeker",
        entity_id=seeker_id,
        seeker_id=seeker_id,
        office_id=seeker.office_id,
        before=before,
        after=_snapshot(seeker),
    )
    return seeker


_SEEKER = Seeker.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
_SWITCH = Prepared(
    _SEEKER.update()
    .where(_SEEKER.c.id == bindparam("id"))
    .values(registration_kind="office", switched_to_office_on=bindparam("on"))
)


@guard("clerk")
def switch_to_office_registration(
    session: Session, *, actor: Actor, seeker_id: int, on: date | None = None, seeker=None
) -> Seeker | None:
    """高松 第2条(2): an online registrant becomes an office registrant on applying (recorded).

    ``seeker``: the row, when the caller has just read it under its lock (booking: the
    change is then one UPDATE on the cursor instead of an ORM load and flush). An ORM Seeker
    this session holds is brought up to date, and returned (without ``seeker`` it always is);
    None when the session holds none."""
    if seeker is None:
        seeker = get_seeker(session, seeker_id)
    if seeker.registration_kind != "online":
        return session.identity_map.get(identity_key(Seeker, seeker_id))
    on = on or today_jst()
    session.flush()  # the seeker's own pending changes first (they would otherwise overwrite the switch)
    with RawSql(session) as db:
        db.run(_SWITCH, {"id": seeker_id, "on": on})
    held = session.identity_map.get(identity_key(Seeker, seeker_id))
    if held is not None:
        attributes.set_committed_value(held, "registration_kind", "office")
        attributes.set_committed_value(held, "switched_to_office_on", on)
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="seeker.registration_switch",
        entity="seeker",
        entity_id=seeker_id,
        seeker_id=seeker_id,
        office_id=seeker.office_id,
        before={"registration_kind": "online"},
        after={"registration_kind": "office"},
    )
    return held


@guard("clerk")
def set_webcam(session: Session, *, actor: Actor, seeker_id: int, confirmed: bool) -> Seeker:
    """Record that the seeker has (or lacks) a device capable of webcam communication."""
    seeker = get_seeker(session, seeker_id)
    seeker.webcam_confirmed = confirmed
    seeker.webcam_confirmed_on = today_jst() if confirmed else None
    session.add(seeker)
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="seeker.webcam",
        entity="seeker",
        entity_id=seeker_id,
        seeker_id=seeker_id,
        office_id=seeker.office_id,
        after={"webcam_confirmed": confirmed},
    )
    return seeker


def form_from_seeker(seeker: Seeker) -> SeekerForm:
    """The form pre-filled from a stored seeker (for editing)."""
    from hwdesk.jtext.numbers import format_phone

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


@guard("clerk")
def seeker_of(session: Session, *, actor: Actor, seeker_id: int) -> Seeker:
    """One seeker for a screen (the form, the consent and check dialogs): guarded ``get_seeker``."""
    return get_seeker(session, seeker_id)


@guard("clerk")
def get_by_number(session: Session, seeker_no: str, *, actor: Actor) -> Seeker:
    """A seeker by 求職番号 (any accepted spelling), or NotFound; the guard checks the seeker's office."""
    return find_by_number(session, seeker_no)


def find_by_number(session: Session, seeker_no: str) -> Seeker:
    """A seeker by 求職番号 (any accepted spelling), or NotFound, with no office check: for a service
    whose own guard checks the office of what it acts on (a session's participant may be registered
    at another office)."""
    try:
        canonical = parse_seeker_no(seeker_no)
    except ParseError:
        canonical = seeker_no
    seeker = session.exec(select(Seeker).where(Seeker.seeker_no == canonical)).first()
    if seeker is None:
        raise NotFound(f"求職番号 {seeker_no} の求職者はいません。", f"No seeker with number {seeker_no}.")
    return seeker


@guard("supervisor", what_ja="求職者の匿名化", what_en="Anonymizing a seeker")
def anonymize(session: Session, *, actor: Actor, seeker_id: int) -> None:
    """Replace a seeker's personal data by placeholders, keeping the statistics (retention).

    The 求職番号 becomes ``ANON-<id>`` (whoever holds a list of numbers cannot find the row
    again) and the birth date keeps only its year (1 January), enough for age bands.
    """
    seeker = get_seeker(session, seeker_id)
    seeker.seeker_no = f"ANON-{seeker_id}"
    seeker.birth_date = date(seeker.birth_date.year, 1, 1)
    seeker.name = f"匿名化済み {seeker_id}"
    seeker.name_kana = "トクメイ"
    seeker.kana_key = "トクメイ"
    seeker.given_key = ""
    seeker.phone = ""
    seeker.email = ""
    seeker.anonymized_at = now_utc()
    session.add(seeker)
    session.flush()
    nameindex.replace(session, seeker_id, None)
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="seeker.anonymize",
        entity="seeker",
        entity_id=seeker_id,
        seeker_id=seeker_id,
    )


def form_dict(form: SeekerForm) -> dict:
    """A form as a plain dict (for drafts)."""
    return asdict(form)


__all__ = [
    "SeekerForm",
    "validate_field",
    "validate_form",
    "find_duplicates",
    "create_seeker",
    "update_seeker",
    "switch_to_office_registration",
    "set_webcam",
    "form_from_seeker",
    "get_seeker",
    "get_by_number",
    "anonymize",
    "FIELD_LABELS",
    "FIELD_ORDER",
]
