"""Reading a seekers CSV as a stream, for ``services.importer``, in bounded memory.

One pass over the bytes tells the encoding, the SHA-256 and the number of lines; the CSV is then
read ``CHUNK_ROWS`` records at a time. ``Written`` keeps what an import has written so far in a
few bytes a row (ids, lines, numbers for the audit row), and ``release_memory`` hands freed heap
back to the system before the audit row is built.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from typing import BinaryIO

from hwdesk.errors import ValidationFailed

# Rows validated, probed and written at a time: large enough that the probes and inserts run in
# few statements, small enough that a chunk's rows are a few MB whatever the file's size.
CHUNK_ROWS = 5000
FIRST_ROWS = 2000  # the first chunks' size (``chunk_size``)
_BLOCK = 1 << 20


def scan(stream: BinaryIO) -> tuple[str, str, int]:
    """(encoding, SHA-256, number of lines) of the file, reading it once in 1 MiB blocks: UTF-8
    (BOM or not), else CP932 as Excel saves it (read a second time only then)."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    ok, lines, head = True, 0, b""
    while block := stream.read(_BLOCK):
        digest.update(block)
        lines += block.count(b"\n")
        if len(head) < 3:
            head += block[:3]
        if ok:
            try:
                utf8.decode(block)
            except UnicodeDecodeError:
                ok = False
    if ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            ok = False
    if ok:
        return ("utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"), digest.hexdigest(), lines + 1
    stream.seek(0)
    cp932 = codecs.getincrementaldecoder("cp932")()
    try:
        while block := stream.read(_BLOCK):
            cp932.decode(block)
        cp932.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "ファイルの文字コードを判別できません（UTF-8 か Shift_JIS/CP932 で保存してください）。",
            "Cannot tell the file's encoding (save it as UTF-8 or Shift_JIS/CP932).",
        ) from exc
    return "cp932", digest.hexdigest(), lines + 1


def unreadable(reader, exc: Exception) -> ValidationFailed:
    """The refusal of a file the csv module cannot read, naming the line it reached."""
    # e.g. a field over the csv module's size limit: refuse the file (the caller's transaction
    # rolls back whatever earlier chunks wrote).
    return ValidationFailed(
        f"CSVとして読めません（{reader.line_num}行目付近）。",
        f"The file cannot be read as CSV (near line {reader.line_num}): {exc}",
    )


def chunks(reader, lines: int = 0) -> Iterator[list[tuple[int, list[str]]]]:
    """The data rows as (line, cells), up to ``CHUNK_ROWS`` at a time (line: the record's number,
    counting the header as line 1). Given the file's ``lines``, the first chunks are smaller
    (``chunk_size``)."""
    chunk: list[tuple[int, list[str]]] = []
    n = 1
    size = chunk_size(0, lines)
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise unreadable(reader, exc) from None
        n += 1
        chunk.append((n, raw))
        if len(chunk) == size:
            yield chunk
            chunk = []
            size = chunk_size(n - 1, lines)
    if chunk:
        yield chunk


def chunk_size(done: int, lines: int) -> int:
    """The size of the chunk after ``done`` data rows of a file of ``lines`` (0: unknown): from
    ``FIRST_ROWS``, growing by half up to ``CHUNK_ROWS``. An import is a pipeline (this process
    checks, probes and formats chunk n while the database writes chunk n-1), and nothing
    overlaps the first chunk's checks: a small first chunk keeps that short (a 20,000-row file is
    four full chunks). Growing faster than by half, the checks of the next chunk outlasted the
    write. The last chunks stay large: a small chunk costs PostgreSQL more a row (its names'
    grams share fewer index pages), which outweighed the shorter write nothing overlaps."""
    if not lines:
        return CHUNK_ROWS
    return min(CHUNK_ROWS, max(FIRST_ROWS, done // 2))


class Written:
    """What this import has written so far, compactly: ids (ascending) with their lines (16 bytes
    a row, against ~1 KB a row for the rows themselves)."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.lines = array("q")
        self.count = 0

    def add(self, ids: list[int], rows: list[tuple[int, dict]]) -> None:
        """Rows written (their ids in the rows' order, ascending)."""
        self.ids.extend(ids)
        self.lines.extend(n for n, _ in rows)
        self.count += len(ids)

    def line_of(self, seeker_id: int) -> int | None:
        """The line that added ``seeker_id`` in this import, or None."""
        i = bisect_left(self.ids, seeker_id)
        return self.lines[i] if i < len(self.ids) and self.ids[i] == seeker_id else None


def release_memory() -> None:
    """Hand freed heap memory back to the system (glibc's ``malloc_trim``; elsewhere nothing):
    the import's page cache, once shrunk back, would otherwise stay resident while the audit
    row is written."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


__all__ = ["CHUNK_ROWS", "FIRST_ROWS", "scan", "unreadable", "chunks", "chunk_size", "Written", "release_memory"]
