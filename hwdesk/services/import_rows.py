"""The CSV import's row checks, and on a large file into SQLite their run in a second process.

A chunk's rows are checked without the database (``validate_chunk``: the form's rules, and the
repeats inside the chunk), so on a machine with more than one core a large file's chunks are
checked in a worker process while this one probes and writes the chunk before: on SQLite, where
the writing is this process's own work, the checks are about a third of an import's time, and
the database's half cannot start before them. (PostgreSQL's server writes while this process
checks: see ``validated``.)
``validated`` yields the chunks' results in file order either way, so the import reports the
same rows and errors, in the same order, with or without the worker.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from hwdesk.errors import ValidationFailed
from hwdesk.jtext.base import ParseError
from hwdesk.services.seekers import FIELD_LABELS, FIELD_ORDER, validate_values

FORM_FIELDS = ["seeker_no", "name", "name_kana", "birth_date", "phone", "email", "registration_kind", "registered_on"]
# A row's values are handed to validate_values in FIELD_ORDER: the columns, then office_id.
assert FIELD_ORDER[: len(FORM_FIELDS)] == tuple(FORM_FIELDS) and FIELD_ORDER[len(FORM_FIELDS)] == "office_id"
_KIND = FORM_FIELDS.index("registration_kind")

# A worker pays off from this many data lines: forked (a process with no other thread, as the CLI
# is) it starts in milliseconds; spawned (the app imports from a worker thread, and forking a
# threaded process is unsafe) it imports hwdesk first, about half a second.
FORK_MIN_LINES = 10_000
SPAWN_MIN_LINES = 100_000

Chunk = list[tuple[int, list[str]]]


@dataclass
class RowError:
    """A refused row: its line number in the file and why."""

    line: int
    field: str
    message_ja: str
    message_en: str

    def message(self, lang: str = "ja") -> str:
        """``12行目: 生年月日 — …``."""
        from hwdesk.texts import pick, tr

        label_ja, label_en = FIELD_LABELS.get(self.field, (self.field, self.field))
        return tr(
            "importer.row_error",
            lang,
            line=self.line,
            field=pick(label_ja, label_en, lang),
            message=pick(self.message_ja, self.message_en, lang),
        )


def same_number(n: int, first: int) -> RowError:
    """Line ``n`` repeats line ``first``'s 求職番号."""
    return RowError(n, "seeker_no", f"{first}行目と同じ求職番号です。", f"Same seeker number as line {first}.")


def same_person(n: int, first: int) -> RowError:
    """Line ``n`` repeats line ``first``'s person (reading and birth date)."""
    return RowError(
        n, "name_kana", f"{first}行目と同じフリガナ・生年月日です。", f"Same reading and birth date as line {first}."
    )


def decide(
    rows: list[tuple[int, dict]], existing: dict, people: dict, line_of: Callable[[int], int | None]
) -> tuple[list[tuple[int, dict]], list[RowError], int]:
    """Which of ``rows`` (line, clean values) to write, given the probes' answers: ``existing``
    (seeker_no → (kana_key, birth_date, name, id)) and ``people`` ((kana_key, birth_date) →
    (seeker_no, id)) of the stored seekers they clash with. A row already registered as the same
    person is skipped; a number or person that clashes is refused, naming the earlier line when
    ``line_of`` knows the clashing seeker as one this import wrote. (good rows, refused, skipped)."""
    good, refused, skipped = [], [], 0
    for n, c in rows:
        old = existing.get(c["seeker_no"])
        if old is not None:
            line = line_of(old[3])
            if line is not None:
                refused.append(same_number(n, line))
            elif old[0] == c["kana_key"] and old[1] == c["birth_date"]:
                skipped += 1
            else:
                refused.append(
                    RowError(
                        n,
                        "seeker_no",
                        f"求職番号 {c['seeker_no']} は別の求職者（{old[2]}）に登録済みです。",
                        f"Seeker number {c['seeker_no']} belongs to another seeker ({old[2]}).",
                    )
                )
            continue
        other = people.get((c["kana_key"], c["birth_date"]))
        if other is not None:
            line = line_of(other[1])
            refused.append(
                same_person(n, line)
                if line is not None
                else RowError(
                    n,
                    "name_kana",
                    f"同じフリガナと生年月日の求職者が登録済みです（{other[0]}）。",
                    f"A seeker with the same reading and birth date exists ({other[0]}).",
                )
            )
            continue
        good.append((n, c))
    return good, refused, skipped


def validate_chunk(chunk: Chunk, fields_: list[str], office_id: str) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """The chunk's valid rows as (line, clean values), and its refused rows. Repeats inside the
    chunk are refused here; repeats of earlier chunks are found in the database by the importer."""
    width = len(fields_)
    # Each form field's column (the last, when a header repeats one) or None: a row becomes the
    # form's values in FIELD_ORDER without building a SeekerForm. Missing cells keep the form's
    # defaults (登録区分 "office").
    column = {name: i for i, name in enumerate(fields_) if name}
    where = [column.get(name) for name in FORM_FIELDS]
    defaults = ["office" if name == "registration_kind" else "" for name in FORM_FIELDS]
    in_order = where == list(range(len(FORM_FIELDS)))
    rows: list[tuple[int, dict]] = []
    errors: list[RowError] = []
    seen_no: dict[str, int] = {}
    seen_person: dict[tuple[str, object], int] = {}
    for n, raw in chunk:
        if not "".join(raw).strip():  # blank line (or only spaces)
            continue
        if len(raw) > width:
            errors.append(RowError(n, "", f"列が多すぎます（{len(raw)}列）。", f"Too many columns ({len(raw)})."))
            continue
        if in_order and len(raw) == width:
            values = [*raw, office_id]
        else:
            values = [raw[i] if i is not None and i < len(raw) else d for i, d in zip(where, defaults)]
            values.append(office_id)
        if not values[_KIND].strip():
            values[_KIND] = "office"
        try:
            clean = validate_values(values)
        except (ValidationFailed, ParseError) as exc:
            errors.append(RowError(n, exc.field or "", exc.message_ja, exc.message_en))
            continue
        if clean["seeker_no"] in seen_no:
            errors.append(same_number(n, seen_no[clean["seeker_no"]]))
            continue
        person = (clean["kana_key"], clean["birth_date"])
        if person in seen_person:
            errors.append(same_person(n, seen_person[person]))
            continue
        seen_no[clean["seeker_no"]] = n
        seen_person[person] = n
        rows.append((n, clean))
    return rows, errors


def validated(
    chunks: Iterable[Chunk], fields_: list[str], office_id: str, *, lines: int, worker: bool = True
) -> Iterator[tuple[list[tuple[int, dict]], list[RowError], int]]:
    """Each chunk's ``validate_chunk`` result and its last line, in file order: in this process
    for a small file, a single core or ``worker`` false, else one chunk ahead in a worker process.

    PostgreSQL's import passes ``worker=False``: there the database server writes one chunk while
    this process checks and probes the next, so the server's time is the import's, and a worker
    only added the rows' round trip through pickle (~6 µs a row) to the two cores' load: 21,700
    rows/s with it, 24,000 without (200,000 rows into a million)."""
    context = _worker_context(lines) if worker else _forced_context()
    if context is None:
        for chunk in chunks:
            if chunk:
                yield *validate_chunk(chunk, fields_, office_id), chunk[-1][0]
        return
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        ahead: deque[tuple[Future, int]] = deque()
        try:
            for chunk in chunks:
                if not chunk:
                    continue
                ahead.append((pool.submit(validate_chunk, chunk, fields_, office_id), chunk[-1][0]))
                if len(ahead) > 1:  # the next chunk is checked while the caller writes this one
                    future, last = ahead.popleft()
                    yield *future.result(), last
            while ahead:
                future, last = ahead.popleft()
                yield *future.result(), last
        finally:
            for future, _ in ahead:
                future.cancel()


def _forced_context():
    """A worker's context when ``HWDESK_IMPORT_WORKER=1`` asks for one whatever the file, else None."""
    return _worker_context(0) if os.environ.get("HWDESK_IMPORT_WORKER", "") == "1" else None


def _worker_context(lines: int):
    """The multiprocessing context for a worker, or None to check the rows in this process.
    ``HWDESK_IMPORT_WORKER=0`` never uses one, ``=1`` always does (the tests compare the two)."""
    setting = os.environ.get("HWDESK_IMPORT_WORKER", "")
    if setting == "0" or (setting != "1" and (os.cpu_count() or 1) < 2):
        return None
    forced = setting == "1"
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork") if forced or lines >= FORK_MIN_LINES else None
    return multiprocessing.get_context("spawn") if forced or lines >= SPAWN_MIN_LINES else None


__all__ = ["RowError", "FORM_FIELDS", "same_number", "same_person", "decide", "validate_chunk", "validated"]
