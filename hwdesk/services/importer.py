"""Importing seekers from the CSV files offices keep in Excel.

The documented rule (README, "Importing seekers"):
- UTF-8 (with or without BOM) and CP932 (Excel's "CSV" in Japan) are read; the header row is
  ``求職番号,氏名,フリガナ,生年月日,電話番号,メール,登録区分,登録日`` or its English form
  ``seeker_no,name,kana,birth_date,phone,email,registration,registered_on``;
- every bad row is reported with its line number and reason; the good rows are written, all in
  one transaction (an interrupted import writes nothing: nothing is ever half-written);
- a row whose 求職番号 is already registered with the same person is skipped, so importing the
  same file again creates no duplicates; the exit status is non-zero when any row was refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import and_, insert, or_
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.errors import HwdeskError, ValidationFailed
from hwdesk.jtext import ParseError
from hwdesk.models import NameGram, Office, Seeker
from hwdesk.services.context import Actor, require_office, staff_id
from hwdesk.services.seekers import FIELD_LABELS, SeekerForm, _grams, validate_form

HEADER_JA = ["求職番号", "氏名", "フリガナ", "生年月日", "電話番号", "メール", "登録区分", "登録日"]
HEADER_EN = ["seeker_no", "name", "kana", "birth_date", "phone", "email", "registration", "registered_on"]
FORM_FIELDS = ["seeker_no", "name", "name_kana", "birth_date", "phone", "email", "registration_kind", "registered_on"]
CHUNK = 500


@dataclass
class RowError:
    """A refused row: its line number in the file and why."""

    line: int
    field: str
    message_ja: str
    message_en: str

    def message(self, lang: str = "ja") -> str:
        """``12行目: 生年月日 — …``."""
        label_ja, label_en = FIELD_LABELS.get(self.field, (self.field, self.field))
        if lang == "en":
            return f"line {self.line}: {label_en} — {self.message_en}"
        return f"{self.line}行目: {label_ja} — {self.message_ja}"


@dataclass
class ImportResult:
    """What an import did (or, with dry_run, would do)."""

    added: int = 0
    skipped: int = 0  # already registered, same person
    errors: list[RowError] = field(default_factory=list)
    encoding: str = ""
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """No row was refused."""
        return not self.errors


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and encoding: UTF-8 (BOM or not), else CP932 as Excel saves it."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "ファイルの文字コードを判別できません（UTF-8 か Shift_JIS/CP932 で保存してください）。",
            "Cannot tell the file's encoding (save it as UTF-8 or Shift_JIS/CP932).",
        ) from exc


def _header_map(header: list[str]) -> list[str]:
    cleaned = [h.strip().lstrip("\ufeff") for h in header]
    mapping = {**dict(zip(HEADER_JA, FORM_FIELDS)), **dict(zip(HEADER_EN, FORM_FIELDS))}
    unknown = [h for h in cleaned if h not in mapping]
    fields_ = [mapping.get(h, "") for h in cleaned]
    missing = [f for f in FORM_FIELDS[:4] if f not in fields_]
    if unknown or missing:
        raise ValidationFailed(
            f"見出し行が正しくありません。必要な見出し: {','.join(HEADER_JA)}（不明: {','.join(unknown) or 'なし'}）",
            f"Bad header row. Expected: {','.join(HEADER_EN)} (unknown: {','.join(unknown) or 'none'})",
        )
    return fields_


def import_seekers(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    office_id: str,
    source: str = "",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Validate every row, report the bad ones by line, write the good ones in one transaction."""
    require_office(actor, office_id)
    if session.get(Office, office_id) is None:
        raise ValidationFailed(f"事業所 '{office_id}' はありません。", f"No office '{office_id}'.")
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    result = ImportResult(encoding=encoding, dry_run=dry_run)
    try:
        header = next(reader)
        lines = list(reader)
    except StopIteration:
        raise ValidationFailed("ファイルが空です。", "The file is empty.") from None
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: refuse the file, write nothing
        raise ValidationFailed(
            f"CSVとして読めません（{reader.line_num}行目付近）。",
            f"The file cannot be read as CSV (near line {reader.line_num}): {exc}",
        ) from None
    fields_ = _header_map(header)
    rows: list[tuple[int, dict]] = []
    seen_no: dict[str, int] = {}
    seen_person: dict[tuple[str, object], int] = {}
    total = len(lines)
    for n, raw in enumerate(lines, start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) > len(fields_):
            result.errors.append(RowError(n, "", f"列が多すぎます（{len(raw)}列）。", f"Too many columns ({len(raw)})."))
            continue
        form = SeekerForm(office_id=office_id, registration_kind="office")
        for name, value in zip(fields_, raw):
            if name:
                setattr(form, name, value)
        if not form.registration_kind.strip():
            form.registration_kind = "office"
        try:
            clean = validate_form(form)
        except (ValidationFailed, ParseError) as exc:
            result.errors.append(RowError(n, exc.field or "", exc.message_ja, exc.message_en))
            continue
        if clean["seeker_no"] in seen_no:
            result.errors.append(RowError(n, "seeker_no", f"{seen_no[clean['seeker_no']]}行目と同じ求職番号です。", f"Same seeker number as line {seen_no[clean['seeker_no']]}."))
            continue
        person = (clean["kana_key"], clean["birth_date"])
        if person in seen_person:
            result.errors.append(RowError(n, "name_kana", f"{seen_person[person]}行目と同じフリガナ・生年月日です。", f"Same reading and birth date as line {seen_person[person]}."))
            continue
        seen_no[clean["seeker_no"]] = n
        seen_person[person] = n
        rows.append((n, clean))
        if progress and n % 1000 == 0:
            progress(n - 1, total)
    good = _drop_existing(session, rows, result)
    if not dry_run and good:
        _insert(session, actor=actor, rows=good, office_id=office_id, source=source, data=data)
    result.added = len(good)
    if progress:
        progress(total, total)
    return result


def _drop_existing(session: Session, rows: list[tuple[int, dict]], result: ImportResult) -> list[dict]:
    """Skip rows already registered (same person); refuse numbers or people that clash."""
    existing: dict[str, Seeker] = {}
    people: dict[tuple, str] = {}
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i : i + CHUNK]
        nos = [c["seeker_no"] for _, c in chunk]
        for s in session.exec(select(Seeker).where(col(Seeker.seeker_no).in_(nos))):
            existing[s.seeker_no] = s
        keys = sorted({(c["kana_key"], c["birth_date"]) for _, c in chunk})
        # OR of (kana_key = ? AND birth_date = ?): one index probe per pair on ix_seeker_dup.
        # A row-value ``IN (VALUES …)`` made SQLite scan the whole seeker table once per chunk
        # (~0.3 s per 500 rows at 1M seekers).
        stmt = select(Seeker.kana_key, Seeker.birth_date, Seeker.seeker_no).where(
            or_(*[and_(Seeker.kana_key == k, Seeker.birth_date == b) for k, b in keys])
        )
        for k, b, no in session.exec(stmt):
            people[(k, b)] = no
    good = []
    for n, c in rows:
        old = existing.get(c["seeker_no"])
        if old is not None:
            if old.kana_key == c["kana_key"] and old.birth_date == c["birth_date"]:
                result.skipped += 1
            else:
                result.errors.append(RowError(n, "seeker_no", f"求職番号 {c['seeker_no']} は別の求職者（{old.name}）に登録済みです。",
                                              f"Seeker number {c['seeker_no']} belongs to another seeker ({old.name})."))
            continue
        other = people.get((c["kana_key"], c["birth_date"]))
        if other is not None:
            result.errors.append(RowError(n, "name_kana", f"同じフリガナと生年月日の求職者が登録済みです（{other}）。",
                                          f"A seeker with the same reading and birth date exists ({other})."))
            continue
        good.append(c)
    return good


def _insert(session: Session, *, actor: Actor, rows: list[dict], office_id: str, source: str, data: bytes) -> None:
    now = datetime.now(UTC)
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i : i + CHUNK]
        values = [{**c, "created_at": now, "updated_at": now, "webcam_confirmed_on": None} for c in chunk]
        conn = session.connection()
        # Core executemany with RETURNING (SQLite ≥ 3.35, PostgreSQL): one round trip per chunk.
        table = Seeker.__table__  # type: ignore[attr-defined]
        ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), values).scalars().all()
        grams = [{"gram": g, "seeker_id": sid} for sid, c in zip(ids, chunk) for g in _grams(c["name"])]
        if grams:
            conn.execute(insert(NameGram.__table__), grams)  # type: ignore[attr-defined]
        audit.record_many(
            session,
            [
                dict(staff_id=staff_id(actor), action="seeker.import", entity="seeker", entity_id=sid, seeker_id=sid,
                     office_id=office_id, after={"seeker_no": c["seeker_no"]})
                for sid, c in zip(ids, chunk)
            ],
        )
    audit.record(session, staff_id=staff_id(actor), action="import.seekers", entity="file", entity_id=source[:200],
                 office_id=office_id, extra={"rows": len(rows), "sha256": hashlib.sha256(data).hexdigest()})


def import_file(session: Session, *, actor: Actor, path: Path, office_id: str, dry_run: bool = False, progress=None) -> ImportResult:
    """Import seekers from a CSV file on disk."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HwdeskError(f"ファイルを読めません: {path}（{exc.strerror}）", f"Cannot read {path} ({exc.strerror})") from exc
    return import_seekers(session, actor=actor, data=data, office_id=office_id, source=path.name, dry_run=dry_run, progress=progress)
