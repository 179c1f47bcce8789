"""Database tables (SQLModel) for hwdesk.

Conventions (see docs/design.md):
- datetimes are timezone-aware (SQLModel's ``UTCDateTime``: stored in UTC, read back in UTC,
  shown in Asia/Tokyo); dates are plain dates;
- enumerations are short ASCII strings, checked by the services (portable on SQLite and PostgreSQL);
- nothing the Employment Security Act guideline forbids collecting (本籍, 出生地, 思想・信条,
  労働組合 …) has a column here, on purpose.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import AutoString

from hwdesk.clock import now_utc
from hwdesk.states import CANCEL_REASONS, ENROLLMENT_STATES, SESSION_STATES, SeatState, SessionState  # noqa: F401 - re-exported

# A primary key is declared ``int`` though it is None until the row is flushed: every row a
# service reads or returns has one, and the type says so (SQLModel makes the column NOT NULL
# either way).

# --- enumerations (values are the names scripts rely on) -------------------------------------

ROLES = ("clerk", "supervisor", "admin")
SERVICE_KINDS = ("counseling", "referral", "seminar", "interview", "tour", "selection")
GROUP_KINDS = ("seminar", "interview", "tour")
REGISTRATION_KINDS = ("office", "online")
CONSENT_METHODS = ("application", "deemed_by_use")
COMPANION_KINDS = ("interpreter", "caregiver", "other")
NOTICE_METHODS = ("counter", "phone", "mail", "session_start")
TERMINATION_GROUNDS = (
    "threats_abuse",
    "recording",
    "non_job_seeking",
    "disturbing",
    "infringement",
    "unannounced_companion",
    "other",
)
TERMINATION_SCOPES = ("session", "suspended", "ended")
REMINDER_OUTCOMES = ("reached", "not_reached", "message_left")
FOLLOWUP_OUTCOMES = ("reached", "no_answer")


# --- offices and terms ------------------------------------------------------------------------


class Office(SQLModel, table=True):
    """An employment security office; its profile comes from ``data/offices``."""

    id: str = Field(primary_key=True, max_length=32)
    name: str
    name_en: str
    bureau: str
    profile_json: str = Field(sa_column=Column(Text, nullable=False))


class TermsVersion(SQLModel, table=True):
    """One version of an office's terms of use, with its full structured text."""

    __table_args__ = (UniqueConstraint("office_id", "version"),)
    id: int = Field(default=None, primary_key=True)
    office_id: str = Field(foreign_key="office.id", index=True)
    version: int
    title: str
    effective_on: date
    document_json: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = ""
    # which listed ground a change without consent rests on (前橋 第9条(1)(2), 高松 第13条(1)(2)); '' = none listed
    change_ground: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    added_by: int | None = Field(default=None, foreign_key="staff.id")
    added_at: datetime = Field(default_factory=now_utc)


class Closure(SQLModel, table=True):
    """An office-specific closed day entered by a supervisor."""

    __table_args__ = (UniqueConstraint("office_id", "day"),)
    id: int = Field(default=None, primary_key=True)
    office_id: str = Field(foreign_key="office.id")
    day: date
    reason: str
    created_by: int | None = Field(default=None, foreign_key="staff.id")


# --- people -----------------------------------------------------------------------------------


class Staff(SQLModel, table=True):
    """A staff member who signs in (clerk / supervisor / admin) at one office."""

    id: int = Field(default=None, primary_key=True)
    login: str = Field(unique=True, max_length=40)
    name: str
    role: str = Field(max_length=16)
    office_id: str = Field(foreign_key="office.id", index=True)
    all_offices: bool = False
    password_hash: str
    failed_count: int = 0
    locked_until: datetime | None = None
    active: bool = True
    created_at: datetime = Field(default_factory=now_utc)


def c_string(length: int) -> TypeEngine[str]:
    """A VARCHAR that compares and orders by code point: SQLite's comparisons are binary already,
    PostgreSQL's column is ``COLLATE "C"`` (migration 0014), so one B-tree serves the search's
    equality, prefix ranges and order."""
    return AutoString(length).with_variant(String(length, collation="C"), "postgresql")


class Seeker(SQLModel, table=True):
    """A job seeker (求職者). ``kana_key`` is the reading without spaces, for prefix search."""

    __table_args__ = (
        UniqueConstraint("seeker_no"),
        Index("ix_seeker_phone", "phone"),
        # Reading prefix search and the same-person check both use it (kana_key leads).
        Index("ix_seeker_dup", "kana_key", "birth_date"),
        # A prefix of the given name's reading (さくら finds 山田 さくら): migration 0010.
        Index("ix_seeker_given", "given_key"),
    )
    seeker_no: str = Field(max_length=16, sa_type=c_string(16))
    name: str = Field(max_length=60)
    name_kana: str = Field(max_length=60)
    birth_date: date
    phone: str = Field(default="", max_length=16, sa_type=c_string(16))
    email: str = Field(default="", max_length=254)
    registration_kind: str = Field(default="office", max_length=8)
    registered_on: date | None = None
    office_id: str = Field(foreign_key="office.id")
    webcam_confirmed: bool = False
    id: int = Field(default=None, primary_key=True)
    kana_key: str = Field(max_length=60, sa_type=c_string(60))
    given_key: str = Field(default="", max_length=60, sa_type=c_string(60), sa_column_kwargs={"server_default": ""})
    switched_to_office_on: date | None = None  # 高松 第2条(2): online registrant switched on applying
    webcam_confirmed_on: date | None = None
    anonymized_at: datetime | None = None
    created_at: datetime = Field(default_factory=now_utc)
    updated_at: datetime = Field(default_factory=now_utc)


class NameGram(SQLModel, table=True):
    """Character n-grams (n = 1, 2, 3) of seeker names (spaces removed): PostgreSQL's name index.

    Since migration 0003 an SQLite database keeps the FTS5 table ``name_fts`` instead and has no
    ``name_gram`` (``hwdesk.nameindex`` reads and writes both; WITHOUT ROWID was its SQLite form)."""

    __tablename__ = "name_gram"
    __table_args__ = {"sqlite_with_rowid": False}
    gram: str = Field(primary_key=True, max_length=3, sa_type=c_string(3))
    seeker_id: int = Field(primary_key=True, foreign_key="seeker.id", ondelete="CASCADE")


# --- consent, notices, checks -----------------------------------------------------------------


class Consent(SQLModel, table=True):
    """A seeker's consent to one version of an office's terms."""

    __table_args__ = (Index("ix_consent_seeker_office", "seeker_id", "office_id"),)
    id: int = Field(default=None, primary_key=True)
    seeker_id: int = Field(foreign_key="seeker.id")
    office_id: str = Field(foreign_key="office.id")
    terms_version_id: int = Field(foreign_key="termsversion.id")
    given_at: datetime = Field(default_factory=now_utc)
    method: str = Field(max_length=16)
    recorded_by: int | None = Field(default=None, foreign_key="staff.id")
    session_id: int | None = Field(default=None, foreign_key="session.id")


class TermsNotice(SQLModel, table=True):
    """A record that a seeker was told of a revision (前橋 第9条, 渋谷 第10条, 高松 第13条)."""

    __tablename__ = "terms_notice"
    __table_args__ = (Index("ix_terms_notice_seeker", "seeker_id", "terms_version_id"),)
    id: int = Field(default=None, primary_key=True)
    seeker_id: int = Field(foreign_key="seeker.id")
    terms_version_id: int = Field(foreign_key="termsversion.id")
    notified_at: datetime = Field(default_factory=now_utc)
    method: str = Field(max_length=16)
    recorded_by: int | None = Field(default=None, foreign_key="staff.id")


class CompanionNotice(SQLModel, table=True):
    """An interpreter, caregiver or other companion announced in advance (or noticed during a
    session: ``unannounced``)."""

    __tablename__ = "companion_notice"
    __table_args__ = (Index("ix_companion_seeker", "seeker_id"),)
    id: int = Field(default=None, primary_key=True)
    seeker_id: int = Field(foreign_key="seeker.id")
    office_id: str = Field(foreign_key="office.id")
    kind: str = Field(max_length=16)
    language: str = ""
    name: str = ""
    session_id: int | None = Field(default=None, foreign_key="session.id", index=True)
    notified_at: datetime = Field(default_factory=now_utc)
    late: bool = False
    unannounced: bool = False
    recorded_by: int | None = Field(default=None, foreign_key="staff.id")


class EnvCheck(SQLModel, table=True):
    """A seeker's self-check of the office's 利用環境 items plus the private room."""

    __tablename__ = "env_check"
    __table_args__ = (Index("ix_env_check_seeker", "seeker_id", "office_id"),)
    id: int = Field(default=None, primary_key=True)
    seeker_id: int = Field(foreign_key="seeker.id")
    office_id: str = Field(foreign_key="office.id")
    answers_json: str = Field(sa_column=Column(Text, nullable=False))
    all_ok: bool
    declared_on: date
    recorded_by: int | None = Field(default=None, foreign_key="staff.id")
    recorded_at: datetime = Field(default_factory=now_utc)


class Approval(SQLModel, table=True):
    """渋谷 第1条(4): the office recognized the need for individual counseling."""

    __table_args__ = (Index("ix_approval_seeker", "seeker_id", "office_id"),)
    id: int = Field(default=None, primary_key=True)
    seeker_id: int = Field(foreign_key="seeker.id")
    office_id: str = Field(foreign_key="office.id")
    service: str = Field(max_length=16)
    recognized_by: int = Field(foreign_key="staff.id")
    recognized_on: date
    note: str = ""
    revoked_at: datetime | None = None
    # 渋谷 第1条(4): the seeker wishes continuing counseling by the office's individual support staff.
    wishes_continuing: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class RegistrationRenewal(SQLModel, table=True):
    """A renewal of a seeker's 求職登録 done elsewhere (another office, 求職者マイページ), recorded by staff."""

    __tablename__ = "registration_renewal"
    __table_args__ = (Index("ix_registration_renewal_seeker", "seeker_id"),)
    id: int = Field(default=None, primary_key=True)
    seeker_id: int = Field(foreign_key="seeker.id")
    renewed_on: date
    note: str = ""
    recorded_by: int | None = Field(default=None, foreign_key="staff.id")
    recorded_at: datetime = Field(default_factory=now_utc)


# --- sessions ---------------------------------------------------------------------------------


class Series(SQLModel, table=True):
    """A recurring series (an RFC 5545 RRULE) that created several sessions."""

    id: int = Field(default=None, primary_key=True)
    office_id: str = Field(foreign_key="office.id")
    rrule: str
    skipped_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=now_utc)


class Session(SQLModel, table=True):
    """One online session: individual (one seeker, one staff) or group (capacity, waitlist)."""

    __table_args__ = (
        Index("ix_session_office_start", "office_id", "start_at"),
        Index("ix_session_staff_start", "staff_id", "start_at"),
    )
    id: int = Field(default=None, primary_key=True)
    office_id: str = Field(foreign_key="office.id")
    kind: str = Field(max_length=16)
    title: str = ""
    start_at: datetime
    end_at: datetime
    staff_id: int = Field(foreign_key="staff.id")
    capacity: int = 1
    platform: str = Field(default="zoom", max_length=8)
    join_url: str = ""
    meeting_id: str = ""
    passcode: str = ""
    state: str = Field(default=SessionState.SCHEDULED, max_length=16)
    series_id: int | None = Field(default=None, foreign_key="series.id")
    rescheduled_from_id: int | None = Field(default=None, foreign_key="session.id")
    cancel_reason: str = ""
    cancel_note: str = ""
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=now_utc)
    updated_at: datetime = Field(default_factory=now_utc)


class Enrollment(SQLModel, table=True):
    """A seeker's place in a session (individual sessions have exactly one)."""

    __table_args__ = (
        UniqueConstraint("session_id", "seeker_id"),
        Index("ix_enrollment_seeker", "seeker_id"),
        # the offers whose reply deadline has passed (services/offers.py), without reading the rest
        Index(
            "ix_enrollment_offer_due",
            "offered_until",
            sqlite_where=text("state = 'offered'"),
            postgresql_where=text("state = 'offered'"),
        ),
    )
    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id")
    seeker_id: int = Field(foreign_key="seeker.id")
    state: str = Field(default=SeatState.BOOKED, max_length=20)
    booked_at: datetime = Field(default_factory=now_utc)
    waitlist_pos: int | None = None
    cancel_reason: str = ""
    override_reason: str = ""
    override_by: int | None = Field(default=None, foreign_key="staff.id")
    booked_by: int | None = Field(default=None, foreign_key="staff.id")
    offered_until: datetime | None = None  # an offered seat's reply deadline (state 'offered')


class Termination(SQLModel, table=True):
    """A supervisor's decision to stop a seeker's use (前橋 第8条, 渋谷 第9条, 高松 第12条)."""

    __table_args__ = (Index("ix_termination_seeker", "seeker_id", "office_id"),)
    id: int = Field(default=None, primary_key=True)
    seeker_id: int = Field(foreign_key="seeker.id")
    office_id: str = Field(foreign_key="office.id")
    session_id: int | None = Field(default=None, foreign_key="session.id")
    ground: str = Field(max_length=24)
    cite: str
    narrative: str = Field(sa_column=Column(Text, nullable=False))
    scope: str = Field(max_length=12)
    until: date | None = None
    review_on: date | None = None
    decided_by: int = Field(foreign_key="staff.id")
    decided_at: datetime = Field(default_factory=now_utc)
    lifted_at: datetime | None = None
    lifted_by: int | None = Field(default=None, foreign_key="staff.id")
    lift_reason: str = ""


class UsageRecord(SQLModel, table=True):
    """利用の記録 (前橋 第4条, 渋谷 第4条, 高松 第7条): never published per device."""

    __tablename__ = "usage_record"
    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id", index=True)
    seeker_id: int | None = Field(default=None, foreign_key="seeker.id")
    joined_at: datetime | None = None
    left_at: datetime | None = None
    device_kind: str = ""
    os: str = ""
    participant_id: str = ""


class Reminder(SQLModel, table=True):
    """The outcome of a reminder call for a seeker's session."""

    id: int = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id", index=True)
    seeker_id: int = Field(foreign_key="seeker.id")
    outcome: str = Field(max_length=16)
    at: datetime = Field(default_factory=now_utc)
    by: int | None = Field(default=None, foreign_key="staff.id")


# Notices to a seeker (services/notices.py): what is told, queued when it happens, sent later.
NOTICE_KINDS = ("confirmation", "reminder", "reschedule", "cancellation", "offer", "terms_revision")
NOTICE_STATES = ("pending", "sent", "failed", "skipped")
NOTICE_CHANNELS = ("print", "mail", "none")


class Notice(SQLModel, table=True):
    """A notice to a seeker: queued when its event happens (an outbox row), built from the booking
    as it stands when it is sent, and kept as the record of what was told, when, by whom, under
    which terms version and with what result. Holds no address and no text of the mail."""

    __table_args__ = (
        Index("ix_notice_seeker", "seeker_id", "id"),
        Index("ix_notice_outbox", "state", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    seeker_id: int = Field(foreign_key="seeker.id")
    office_id: str = Field(foreign_key="office.id")
    kind: str = Field(max_length=16)
    session_id: int | None = Field(default=None, foreign_key="session.id")
    # terms_revision: the version announced
    announced_version_id: int | None = Field(default=None, foreign_key="termsversion.id")
    state: str = Field(default="pending", max_length=10)
    due_at: datetime = Field(default_factory=now_utc)
    queued_at: datetime = Field(default_factory=now_utc)
    queued_by: int | None = Field(default=None, foreign_key="staff.id")
    attempts: int = 0
    channel: str = Field(default="", max_length=8)  # the channel of the last attempt
    attempted_at: datetime | None = None
    sent_at: datetime | None = None
    sent_by: int | None = Field(default=None, foreign_key="staff.id")
    # the terms version in force at sending, whose articles the notice quotes
    terms_version_id: int | None = Field(default=None, foreign_key="termsversion.id")
    subject: str = Field(default="", max_length=200)
    result: str = Field(default="", max_length=300)  # the delivery result, or why it failed or was skipped


# --- interpreters -----------------------------------------------------------------------------

INTERPRETER_MODES = ("in_person", "remote")


class Interpreter(SQLModel, table=True):
    """One line of an office's interpreter roster: who interprets which language on which weekdays
    and hours (an interpreter at the office, or the remote interpretation service, the fallback).

    The office's own arrangement, not a condition of use. Never deleted: ending a line (a leaver, a
    correction) sets ``ended_at`` with the reason and the last day it covers (``until``)."""

    __table_args__ = (Index("ix_interpreter_office_lang", "office_id", "language_key"),)
    id: int | None = Field(default=None, primary_key=True)
    office_id: str = Field(foreign_key="office.id")
    mode: str = Field(max_length=16)  # INTERPRETER_MODES
    name: str = Field(max_length=60)
    language: str = Field(max_length=40)  # as staff typed it (英語, ベトナム語 …)
    language_key: str = Field(max_length=40)  # services/interpreters.language_key: what matches a notice
    weekdays: str = Field(max_length=7)  # ISO weekday digits, Monday 1 … Sunday 7 ("12345")
    start_time: str = Field(max_length=5)  # "09:00" JST
    end_time: str = Field(max_length=5)  # "12:00" JST
    valid_from: date
    until: date | None = None  # the last day covered (None: open-ended)
    note: str = ""
    replaces_id: int | None = Field(default=None, foreign_key="interpreter.id")  # a correction's earlier line
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=now_utc)
    ended_at: datetime | None = None
    ended_by: int | None = Field(default=None, foreign_key="staff.id")
    end_reason: str = ""


class FollowupCall(SQLModel, table=True):
    """A follow-up call to a seeker not checked in after a session's start (``services/followup``).

    Rows are never changed: a mistaken result is corrected by a new row naming the one it corrects
    (``corrects_id``) with the reason, so the history keeps both."""

    __tablename__ = "followup_call"
    __table_args__ = (Index("ix_followup_call_session", "session_id", "seeker_id"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id")
    seeker_id: int = Field(foreign_key="seeker.id")
    office_id: str = Field(foreign_key="office.id")
    outcome: str = Field(max_length=16)
    note: str = ""
    at: datetime = Field(default_factory=now_utc)
    by: int | None = Field(default=None, foreign_key="staff.id")
    corrects_id: int | None = Field(default=None, foreign_key="followup_call.id")
    reason: str = ""


# --- audit ------------------------------------------------------------------------------------


class AuditLog(SQLModel, table=True):
    """Append-only audit trail; each row carries the hash of the previous one."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_seeker", "seeker_id"),
        Index("ix_audit_staff_at", "staff_id", "at"),
        Index("ix_audit_action", "action", "id"),  # e.g. the few import.seekers rows among millions
    )
    id: int = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=now_utc)
    staff_id: int | None = None
    terminal: str = ""
    action: str = Field(max_length=40)
    entity: str = ""
    entity_id: str = ""
    seeker_id: int | None = None
    office_id: str = ""
    detail_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default=text("'{}'")))
    prev_hash: str = ""
    hash: str = ""


class Meta(SQLModel, table=True):
    """Key/value facts about this database (demo flag, office keys)."""

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))
