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
import io
import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, cast

from sqlmodel import Session

from hwdesk import audit, nameindex
from hwdesk.clock import now_utc
from hwdesk.errors import HwdeskError, ValidationFailed
from hwdesk.models import Office, Seeker
from hwdesk.services import import_pg
from hwdesk.services.context import Actor, require_office, staff_id
from hwdesk.services.csvstream import Written, chunks, release_memory, scan, unreadable
from hwdesk.services.guard import guard
from hwdesk.services.import_rows import FORM_FIELDS, RowError, decide, validated

HEADER_JA = ["求職番号", "氏名", "フリガナ", "生年月日", "電話番号", "メール", "登録区分", "登録日"]
HEADER_EN = ["seeker_no", "name", "kana", "birth_date", "phone", "email", "registration", "registered_on"]


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


@guard("clerk")
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
    return import_stream(
        session,
        actor=actor,
        stream=io.BytesIO(data),
        office_id=office_id,
        source=source,
        dry_run=dry_run,
        progress=progress,
    )


@guard("clerk")
def import_stream(
    session: Session,
    *,
    actor: Actor,
    stream: BinaryIO,
    office_id: str,
    source: str = "",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """``import_seekers`` from a seekable binary stream, in memory that does not grow with the file.

    A first pass tells the encoding, the SHA-256 and the number of lines; the second reads the
    CSV ``CHUNK_ROWS`` rows at a time: validated, probed for duplicates in a few statements,
    written (SQLite: multi-row inserts; PostgreSQL: ``COPY``), then dropped. A row that repeats
    an earlier row of the file is found in the database, where the earlier one already is (this
    transaction's own rows), and refused with that row's line. Everything is in the caller's one
    transaction (a dry run in a savepoint rolled back at the end), so an interrupted import writes
    nothing.
    """
    require_office(actor, office_id)
    if session.get(Office, office_id) is None:
        raise ValidationFailed(f"事業所 '{office_id}' はありません。", f"No office '{office_id}'.")
    encoding, digest, line_count = scan(stream)
    if line_count - 1 > MAX_FILE_LINES:  # lines = newlines, as a text editor counts them
        raise ValidationFailed(
            f"行数が多すぎます: {line_count - 1:,}行（上限 {MAX_FILE_LINES:,}行）。分けて取り込んでください。",
            f"Too many lines: {line_count - 1:,} (at most {MAX_FILE_LINES:,}); split the file and import the parts.",
            field="file",
        )
    stream.seek(0)
    reader = csv.reader(io.TextIOWrapper(stream, encoding=encoding, newline=""))
    result = ImportResult(encoding=encoding, dry_run=dry_run)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationFailed("ファイルが空です。", "The file is empty.") from None
    except csv.Error as exc:
        raise unreadable(reader, exc) from None
    fields_ = _header_map(header)
    total = max(0, line_count - 1)
    written = Written()
    # SQLite writes in this process, so its rows are checked in a worker (from a size on) in full
    # chunks; PostgreSQL's server writes while this process checks the next chunk, and its first
    # chunks are small (``csvstream.chunk_size``, ``import_rows.validated``).
    sqlite = _is_sqlite(session)
    read = chunks(reader, 0 if sqlite else total)
    nested = session.begin_nested() if dry_run else None
    try:
        with _large_cache(session), _pipeline(session, written, total, sqlite=sqlite) as pipeline:
            for rows, errors, last in validated(read, fields_, office_id, lines=total, worker=sqlite):
                result.errors += errors
                if rows:
                    refused, skipped = pipeline.take(rows)
                    result.errors += refused
                    result.skipped += skipped
                if progress:
                    progress(min(last - 1, total), total)
            pipeline.wait()
    finally:
        if nested is not None:
            nested.rollback()
    result.added = written.count
    if not dry_run and written.count:
        runs = id_runs(written.ids)
        written.ids = written.lines = array("q")
        release_memory()  # the import's page cache and chunks, before the audit row is built
        # The added seekers are named by their ids (a few runs: an import's ids are consecutive) and
        # the file by its SHA-256; their numbers are in the seeker rows and each seeker's history
        # finds this row through the ids (audit_view), so the row stays small at any file size.
        audit.record(
            session,
            staff_id=staff_id(actor),
            action="import.seekers",
            entity="file",
            entity_id=source[:200],
            office_id=office_id,
            extra={"rows": result.added, "sha256": digest, "seeker_ids": runs},
        )
    if progress:
        progress(total, total)
    return result


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _lookup_sqlite(session: Session, rows: list[tuple[int, dict]]) -> tuple[dict, dict]:
    """(seeker_no → (kana_key, birth_date, name, id), (kana_key, birth_date) → (seeker_no, id)) of
    stored seekers, in a few raw statements (building 20,000 SQLAlchemy expressions cost more
    than the probes). The pairs drive the join (CROSS JOIN fixes the order): one probe of
    ``ix_seeker_dup`` per pair, never a scan; the probes also bring into the cache the index
    pages the insert will write."""
    conn = session.connection()
    dialect = conn.dialect
    table = Seeker.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    to_db = table.c.birth_date.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    from_db = table.c.birth_date.type.dialect_impl(dialect).result_processor(dialect, None) or (lambda v: v)
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # typed Optional; a session's connection is open
    existing: dict[str, tuple] = {}
    people: dict[tuple, tuple[str, int]] = {}
    try:
        step = _MAX_VARS // 2
        for i in range(0, len(rows), _MAX_VARS):
            nos = [c["seeker_no"] for _, c in rows[i : i + _MAX_VARS]]
            # A VALUES list driving the join probes the unique index in list order (IN (…) first
            # builds a temporary index of the list).
            sql = (
                "WITH v(n) AS (VALUES " + ",".join(["(?)"] * len(nos)) + ") "
                "SELECT s.seeker_no, s.kana_key, s.birth_date, s.name, s.id FROM v CROSS JOIN seeker s ON s.seeker_no = v.n"
            )
            for no, k, b, name, sid in cur.execute(sql, nos):
                existing[no] = (k, from_db(b), name, sid)
        # Ordered by reading only (the probes' locality; comparing the pairs cost more), each
        # distinct date converted once.
        keys = sorted({(c["kana_key"], c["birth_date"]) for _, c in rows}, key=itemgetter(0))
        dates = {b: to_db(b) for b in {b for _, b in keys}}
        for i in range(0, len(keys), step):
            part = keys[i : i + step]
            sql = (
                "WITH v(k, b) AS (VALUES " + ",".join(["(?,?)"] * len(part)) + ") "
                "SELECT s.kana_key, s.birth_date, s.seeker_no, s.id FROM v CROSS JOIN seeker s ON s.kana_key = v.k AND s.birth_date = v.b"
            )
            for k, b, no, sid in cur.execute(sql, [x for key, born in part for x in (key, dates[born])]):
                people[(k, from_db(b))] = (no, sid)
    finally:
        cur.close()
    return existing, people


# SQLite's default limit on ? parameters in one statement before 3.32 (newer builds allow more).
_MAX_VARS = 999
# The write connection's page cache during an import (KiB, as PRAGMA cache_size takes it when
# negative): at a million seekers the inserts touch pages all over four seeker indexes and
# the name index; with the default 2 MB cache most of them were evicted (and spilled) and re-read.
# 64 MB (was 256): it fills at a million rows and counts in the import's peak RSS (≤ 300 MB at any
# file size; ~105 MB of resident memory with SQLite's page headers).
_IMPORT_CACHE_KIB = 65_536


@contextmanager
def _large_cache(session: Session) -> Iterator[None]:
    """SQLite: a larger page cache on this connection for the import, the old size after."""
    if not _is_sqlite(session):
        yield
        return
    dbapi = session.connection().connection.dbapi_connection
    old = dbapi.execute("PRAGMA cache_size").fetchone()[0]  # type: ignore[union-attr]  # sqlite3's connection (this path is SQLite only)
    dbapi.execute(f"PRAGMA cache_size = {-_IMPORT_CACHE_KIB}")  # type: ignore[union-attr]  # sqlite3's connection (this path is SQLite only)
    try:
        yield
    finally:
        dbapi.execute(f"PRAGMA cache_size = {int(old)}")  # type: ignore[union-attr]  # sqlite3's connection (this path is SQLite only)


def id_runs(ids: Sequence[int]) -> list[list[int]]:
    """Ascending ids as [first, last] runs: [1, 2, 3, 7] → [[1, 3], [7, 7]]."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and runs[-1][1] + 1 == i:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs


def imported_ids(detail: dict) -> list[int]:
    """The seeker ids an ``import.seekers`` audit row's detail lists, ascending."""
    return [i for first, last in detail.get("seeker_ids", []) for i in range(first, last + 1)]


class _SqlitePipeline:
    """``import_pg.Pipeline``'s interface on SQLite, where everything is in-line: the B-tree work
    is in this process, and a writer thread only added GIL hand-offs. The probes run after the
    chunk before is written, so they see this import's own rows too."""

    def __init__(self, session: Session, written: Written) -> None:
        self.session, self.written = session, written

    def take(self, rows: list[tuple[int, dict]]) -> tuple[list[RowError], int]:
        """Probe ``rows`` (line, clean values), write the good ones; the refused rows and the
        number skipped (already registered, same person)."""
        existing, people = _lookup_sqlite(self.session, rows)
        good, refused, skipped = decide(rows, existing, people, self.written.line_of)
        if good:
            self.written.add(_insert_sqlite(self.session, [c for _, c in good]), good)
        return refused, skipped

    def wait(self) -> None:
        """Nothing to wait for: ``take`` wrote in-line."""

    def close(self) -> None:
        """Nothing to release."""


@contextmanager
def _pipeline(
    session: Session, written: Written, lines: int, *, sqlite: bool
) -> Iterator[_SqlitePipeline | import_pg.Pipeline]:
    """The backend's pipeline for an import of ``lines`` lines, closed after it."""
    pipeline = _SqlitePipeline(session, written) if sqlite else import_pg.Pipeline(session, written, lines)
    try:
        yield pipeline
    finally:
        pipeline.close()


def _insert_sqlite(session: Session, rows: list[dict]) -> list[int]:
    conn = session.connection()
    dialect = conn.dialect
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # typed Optional; a session's connection is open
    try:
        # The caller's write transaction holds SQLite's write lock (BEGIN IMMEDIATE), so no one
        # else can take these ids; max + 1 is also what SQLite itself would assign (no AUTOINCREMENT).
        first = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM seeker").fetchone()[0]
        ids = range(first, first + len(rows))
        table = Seeker.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
        now = now_utc()
        fixed = {"created_at": now, "updated_at": now, "webcam_confirmed_on": None}
        names = list(rows[0])
        columns = ["id", *names, *fixed]
        width = len(columns)
        tail = tuple(fixed.values())
        get = itemgetter(*names)
        flat = [x for sid, c in zip(ids, rows) for x in (sid, *get(c), *tail)]
        # The values exactly as SQLAlchemy would bind them (dates as text, UTC timestamps …),
        # converted a column at a time, each distinct value once: dates and flags repeat down a
        # file. A column holds one type (and None), so the value alone can be the key.
        for i, column_name in enumerate(columns):
            convert = table.c[column_name].type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None:
                column = flat[i::width]
                done = {v: convert(v) for v in set(column)}
                flat[i::width] = map(done.__getitem__, column)
        _insert_many(cur, "seeker", columns, flat)
        nameindex.add_sqlite(cur, ids, [c["name"] for c in rows])
    finally:
        cur.close()
    return list(ids)


def _insert_many(cur, table: str, columns: list[str], flat: list) -> None:
    """``INSERT … VALUES (…),(…),…`` from a flat list of values, up to ``_MAX_VARS`` a statement:
    sqlite3's executemany steps and resets once per row, which cost more than the B-tree work."""
    width = len(columns)
    per = max(1, _MAX_VARS // width)
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    one = "(" + ",".join("?" * width) + ")"
    full = head + ",".join([one] * per)
    step = per * width
    for i in range(0, len(flat), step):
        part = flat[i : i + step]
        cur.execute(full if len(part) == step else head + ",".join([one] * (len(part) // width)), part)


def _too_large(path: Path) -> ValidationFailed:
    return ValidationFailed(
        f"ファイルが大きすぎます: {path}（上限 {MAX_FILE_BYTES // (1 << 20)} MiB）。分けて取り込んでください。",
        f"The file is too large: {path} (at most {MAX_FILE_BYTES // (1 << 20)} MiB); split it and import the parts.",
        field="file",
    )


# One file's bounds: 2 million rows of ~100 bytes fit (the 1M-seeker benchmark file is ~90 MiB); the
# stream keeps memory flat, and the caps keep a runaway file's time and the audit row's size bounded.
MAX_FILE_BYTES = 256 << 20
MAX_FILE_LINES = 2_000_000


@guard("clerk")
def import_file(
    session: Session, *, actor: Actor, path: Path, office_id: str, dry_run: bool = False, progress=None
) -> ImportResult:
    """Import seekers from a CSV file on disk, read as a stream (memory does not grow with it), at most
    ``MAX_FILE_BYTES`` and ``MAX_FILE_LINES``: a device such as /dev/zero is refused at the cap."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise HwdeskError(
            f"ファイルを読めません: {path}（{exc.strerror}）", f"Cannot read {path} ({exc.strerror})"
        ) from exc
    with stream:
        if os.fstat(stream.fileno()).st_size > MAX_FILE_BYTES:
            raise _too_large(path)
        return import_stream(
            session,
            actor=actor,
            stream=cast(BinaryIO, _Capped(stream, path)),  # a raw binary stream; typeshed keeps the two apart
            office_id=office_id,
            source=path.name,
            dry_run=dry_run,
            progress=progress,
        )


class _Capped(io.RawIOBase):
    """A binary stream that refuses to read past ``MAX_FILE_BYTES`` (an endless device or a file that
    grows while it is read): the import stops there with the file-too-large message."""

    def __init__(self, raw, path: Path) -> None:
        super().__init__()
        self.raw, self.path, self.pos = raw, path, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = self.raw.seek(offset, whence)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, b) -> int:
        n = self.raw.readinto(b)
        self.pos += n or 0
        if self.pos > MAX_FILE_BYTES:
            raise _too_large(self.path)
        return n
