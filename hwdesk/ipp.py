"""A small IPP/1.1 client for the local CUPS server, on the standard library only.

hwdesk talks to CUPS in IPP rather than through ``lp``/``lpstat`` because it needs what those
tools print only as localized prose: the job's state after submission (``completed`` and
``aborted`` look alike in ``lpstat``), the printer's state and reasons, and status codes to turn
into the clerk's own language instead of lp's English ("No default destination").

The server is found as libcups finds it: ``CUPS_SERVER``, else ``ServerName`` in
``~/.cups/client.conf`` or ``/etc/cups/client.conf``, else the local domain socket
(``/run/cups/cups.sock``), else ``localhost:631`` (``IPP_PORT``). Encoding follows RFC 8010.
"""

from __future__ import annotations

import getpass
import http.client
import os
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Operations (RFC 8011 and CUPS's extensions).
PRINT_JOB = 0x0002
CANCEL_JOB = 0x0008
GET_JOB_ATTRIBUTES = 0x0009
GET_PRINTER_ATTRIBUTES = 0x000B
CUPS_GET_DEFAULT = 0x4001
CUPS_GET_PRINTERS = 0x4002

# Status codes the callers distinguish.
OK_MAX = 0x00FF
NOT_FOUND = 0x0406
NOT_ACCEPTING = 0x0506
NOT_AUTHORIZED = 0x0403
NOT_AUTHENTICATED = 0x0401

# Delimiter and value tags (RFC 8010 3.5).
OPERATION, JOB, END, PRINTER = 0x01, 0x02, 0x03, 0x04
INTEGER, BOOLEAN, ENUM = 0x21, 0x22, 0x23
TEXT_LANG, NAME_LANG = 0x35, 0x36
TEXT, NAME, KEYWORD, URI, CHARSET, LANGUAGE, MIME = 0x41, 0x42, 0x44, 0x45, 0x47, 0x48, 0x49

DEFAULT_TIMEOUT = 5.0


class IppError(Exception):
    """The server could not be reached, or answered with something that is not IPP."""


@dataclass
class Response:
    """A decoded IPP response: its status and its attribute groups (name → list of values)."""

    status: int
    groups: list[tuple[int, dict[str, list[object]]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the status is successful-ok (or one of its variants)."""
        return self.status <= OK_MAX

    def first(self, tag: int) -> dict[str, list[object]]:
        """The first group with delimiter ``tag`` (empty when there is none)."""
        return next((g for t, g in self.groups if t == tag), {})

    def all(self, tag: int) -> list[dict[str, list[object]]]:
        """Every group with delimiter ``tag`` (one per printer, one per job)."""
        return [g for t, g in self.groups if t == tag]


# --- encoding ------------------------------------------------------------------------------------


def _attr(tag: int, name: str, values: object) -> bytes:
    out = bytearray()
    for i, v in enumerate(values if isinstance(values, list | tuple) else [values]):
        if tag in (INTEGER, ENUM):
            data = struct.pack(">i", int(v))
        elif tag == BOOLEAN:
            data = b"\x01" if v else b"\x00"
        else:
            data = str(v).encode("utf-8")
        key = name.encode("ascii") if i == 0 else b""
        out += struct.pack(">BH", tag, len(key)) + key + struct.pack(">H", len(data)) + data
    return bytes(out)


def encode(
    op: int,
    request_id: int,
    operation: Sequence[tuple[int, str, object]],
    job: Sequence[tuple[int, str, object]] | None = None,
) -> bytes:
    """An IPP/1.1 request: charset and language first, then ``operation``'s and ``job``'s attributes."""
    out = bytearray(struct.pack(">BBHI", 1, 1, op, request_id))
    out.append(OPERATION)
    out += _attr(CHARSET, "attributes-charset", "utf-8")
    out += _attr(LANGUAGE, "attributes-natural-language", "en")
    for tag, name, value in operation:
        out += _attr(tag, name, value)
    if job:
        out.append(JOB)
        for tag, name, value in job:
            out += _attr(tag, name, value)
    out.append(END)
    return bytes(out)


def decode(data: bytes) -> Response:
    """Decode an IPP response (unknown value tags are kept as raw bytes)."""
    if len(data) < 9:
        raise IppError("short IPP response")
    _major, _minor, status, _rid = struct.unpack(">BBHI", data[:8])
    resp = Response(status)
    pos, last = 8, ""
    group: dict[str, list[object]] | None = None
    try:
        while pos < len(data):
            tag = data[pos]
            pos += 1
            if tag == END:
                break
            if tag < 0x10:  # a new group
                group = {}
                resp.groups.append((tag, group))
                continue
            (nlen,) = struct.unpack(">H", data[pos : pos + 2])
            name = data[pos + 2 : pos + 2 + nlen].decode("utf-8", "replace")
            pos += 2 + nlen
            (vlen,) = struct.unpack(">H", data[pos : pos + 2])
            raw = data[pos + 2 : pos + 2 + vlen]
            pos += 2 + vlen
            value: object
            if tag in (INTEGER, ENUM) and vlen == 4:
                (value,) = struct.unpack(">i", raw)
            elif tag == BOOLEAN:
                value = raw != b"\x00"
            elif tag in (TEXT_LANG, NAME_LANG) and vlen >= 4:
                (llen,) = struct.unpack(">H", raw[:2])
                value = raw[4 + llen :].decode("utf-8", "replace")
            elif 0x40 <= tag <= 0x4F:
                value = raw.decode("utf-8", "replace")
            else:
                value = raw
            if group is None:
                raise IppError("attribute outside a group")
            if nlen:
                last = name
                group[name] = [value]
            elif last:
                group.setdefault(last, []).append(value)
    except struct.error as exc:
        raise IppError("truncated IPP response") from exc
    return resp


# --- transport -----------------------------------------------------------------------------------


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _client_conf_server() -> str | None:
    for conf in (Path.home() / ".cups" / "client.conf", Path("/etc/cups/client.conf")):
        try:
            lines = conf.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.split(None, 1)
            if len(parts) == 2 and parts[0].lower() == "servername":
                return parts[1].strip()
    return None


def server() -> str:
    """Where CUPS is: a socket path or ``host:port`` (see the module docstring)."""
    name = os.environ.get("CUPS_SERVER") or _client_conf_server()
    if not name:
        for sock in ("/run/cups/cups.sock", "/var/run/cups/cups.sock"):
            if os.path.exists(sock):
                return sock
        name = "localhost"
    name = name.split("/version=")[0]
    if name.startswith("/"):
        return name
    if name.startswith("[") or name.count(":") != 1:  # bare host or IPv6 literal
        return name if "]:" in name else f"{name}:{os.environ.get('IPP_PORT', '631')}"
    return name


def request(
    op: int,
    path: str,
    operation: Sequence[tuple[int, str, object]],
    *,
    job: Sequence[tuple[int, str, object]] | None = None,
    document: bytes = b"",
    timeout: float = DEFAULT_TIMEOUT,
) -> Response:
    """Send one IPP request to ``path`` (``/``, ``/printers/NAME``, ``/jobs/ID``) and decode the answer."""
    where = server()
    body = encode(op, 1, operation, job) + document
    try:
        if where.startswith("/"):
            conn: http.client.HTTPConnection = _UnixConnection(where, timeout)
        else:
            host, _, port = where.rpartition(":")
            conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=timeout)
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/ipp"})
            answer = conn.getresponse()
            data = answer.read()
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise IppError(f"{where}: {exc}") from exc
    if answer.status in (401, 403):
        return Response(NOT_AUTHENTICATED if answer.status == 401 else NOT_AUTHORIZED)
    if answer.status != 200:
        raise IppError(f"{where}: HTTP {answer.status}")
    return decode(data)


def printer_uri(name: str) -> str:
    """The printer's IPP URI as the local server names it."""
    from urllib.parse import quote

    return f"ipp://localhost/printers/{quote(name, safe='')}"


def user() -> str:
    """The requesting user name (the job's owner, who may cancel it)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "hwdesk"
