"""The counter's printer: which CUPS destination this terminal uses, and what became of a job.

* **Choice.** A printer named for one job (``--printer``) wins; else the one chosen for this
  terminal (``printer.json`` in the user's config directory, platformdirs); else CUPS's default.
  With none of them, or a name CUPS does not know, the clerk is told so in the UI language.
* **Options.** Every job is one-sided, A4, one page per sheet, without banner pages, and not
  scaled (large print stays large). A day's handouts go as one job.
* **Outcome.** After submitting, the job is followed for a few seconds and reported as printed,
  queued, held or failed with the printer's reason. A stopped printer is refused before anything
  is queued, and a job the printer stopped on is cancelled, so a page with a passcode does not
  wait in a shared queue; the saved PDF is always the fallback.

The wire protocol is in :mod:`hwdesk.ipp`. This module never imports Textual.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hwdesk import ipp
from hwdesk.errors import HwdeskError
from hwdesk.texts import pick

# Job template attributes sent with every handout (RFC 8011 keywords).
JOB_OPTIONS: list[tuple[int, str, object]] = [
    (ipp.KEYWORD, "sides", "one-sided"),
    (ipp.KEYWORD, "media", "iso_a4_210x297mm"),
    (ipp.KEYWORD, "job-sheets", ["none", "none"]),
    (ipp.INTEGER, "number-up", 1),
    (ipp.KEYWORD, "print-scaling", "none"),
    (ipp.INTEGER, "copies", 1),
    (ipp.INTEGER, "job-cancel-after", 600),  # a stuck passcode page is dropped after 10 minutes
]

FOLLOW_SECONDS = 5.0


class PrinterState(StrEnum):
    """A CUPS destination's state (IPP printer-state 3/4/5); not a session's or a booking's."""

    IDLE = "idle"
    PRINTING = "printing"
    STOPPED = "stopped"


_IPP_PRINTER_STATES = {3: PrinterState.IDLE, 4: PrinterState.PRINTING, 5: PrinterState.STOPPED}

_PRINTER_ATTRS = [
    "printer-name",
    "printer-info",
    "printer-location",
    "printer-state",
    "printer-state-message",
    "printer-state-reasons",
    "printer-is-accepting-jobs",
]
_JOB_ATTRS = ["job-state", "job-state-reasons", "job-printer-state-message", "job-impressions-completed"]

# printer-state-reasons a clerk can act on, in both languages (others are shown as CUPS names them).
REASONS = {
    "media-empty": ("用紙切れ", "out of paper"),
    "media-needed": ("用紙切れ", "out of paper"),
    "media-jam": ("紙詰まり", "paper jam"),
    "toner-empty": ("トナー切れ", "out of toner"),
    "marker-supply-empty": ("インク・トナー切れ", "out of ink or toner"),
    "door-open": ("カバーが開いている", "a cover is open"),
    "cover-open": ("カバーが開いている", "a cover is open"),
    "input-tray-missing": ("給紙トレイがない", "paper tray missing"),
    "output-area-full": ("排紙トレイが満杯", "output tray full"),
    "offline": ("オフライン", "offline"),
    "paused": ("停止中", "paused"),
    "shutdown": ("電源が切れている", "switched off"),
    "connecting-to-device": ("プリンターに接続中", "connecting to the printer"),
    "timed-out": ("プリンターが応答しない", "the printer does not answer"),
    "job-hold-until-specified": ("保留指定", "held until released"),
    "job-hold-until-authenticated": ("認証待ち", "waiting for sign-in at the print server"),
    "document-format-error": ("文書を処理できない", "the document could not be processed"),
    "printer-stopped": ("プリンター停止", "the printer stopped"),
}

STATES = ("printed", "queued", "held", "failed")


def _fallback(path: Path | None) -> tuple[str, str]:
    if path is None:
        return (
            "PDFを保存して別の端末で印刷するか、PDFを渡してください。",
            "Save the PDF and print it elsewhere, or hand over the PDF.",
        )
    return (
        f"PDFは保存してあります（{path}）。別のプリンターで印刷するか、PDFを渡してください。",
        f"The PDF is saved ({path}); print it on another printer or hand it over.",
    )


class PrintError(HwdeskError):
    """Printing could not start; the message says why and what to do instead."""


class NoPrinter(PrintError):
    """No printer was named, none is chosen for this terminal, and CUPS has no default."""


class UnknownPrinter(PrintError):
    """A printer name CUPS does not know."""


class PrinterStopped(PrintError):
    """The printer is stopped or refuses jobs (``cupsdisable`` / ``cupsreject``, or a fault)."""


class PrintServerDown(PrintError):
    """No CUPS server answers on this terminal."""


def _error(cls: type[PrintError], ja: str, en: str, path: Path | None) -> PrintError:
    fja, fen = _fallback(path)
    return cls(f"{ja}{fja}", f"{en} {fen}")


def clean(text: object) -> str:
    """Text from the printer or CUPS, as data: no control or format characters reach a terminal."""
    import unicodedata

    return "".join(ch for ch in str(text) if unicodedata.category(ch)[0] != "C" or ch == " ")[:300]


def _reason_text(keywords: Sequence[object], message: str, lang: str) -> str:
    words = []
    for k in keywords:
        k = clean(k)
        for suffix in ("-error", "-warning", "-report"):
            k = k.removesuffix(suffix)
        if k in ("none", "") or k in words:
            continue
        words.append(k)
    parts = [pick(*REASONS[w], lang) if w in REASONS else w for w in words]
    message = clean(message)
    if message and message not in parts:
        parts.append(message)
    from hwdesk.texts import tr

    return tr("common.sep", lang).join(parts)


@dataclass(frozen=True)
class Destination:
    """A CUPS destination as the clerk sees it."""

    name: str
    info: str
    location: str
    state: str  # a PrinterState value
    accepting: bool
    reasons: tuple[str, ...]
    message: str
    is_default: bool

    @property
    def ready(self) -> bool:
        """Whether a job sent now would be printed (not stopped, accepting jobs)."""
        return self.state != PrinterState.STOPPED and self.accepting

    def reason(self, lang: str = "ja") -> str:
        """Why the printer is not ready (or what it reports), in ``lang``; empty when nothing."""
        # 'paused' is what "stopped" already says; the administrator's message is the reason.
        reasons = [r for r in self.reasons if not (self.state == PrinterState.STOPPED and r == "paused")]
        return _reason_text(reasons, self.message, lang)

    def state_text(self, lang: str = "ja") -> str:
        """The state in words: 待機中/印刷中/停止中, and 受付停止 when it refuses jobs."""
        from hwdesk.texts import tr

        keys: dict[str, str] = {
            PrinterState.IDLE: "printing.state.idle",
            PrinterState.PRINTING: "printing.state.printing",
            PrinterState.STOPPED: "printing.state.stopped",
        }
        text = tr(keys[self.state], lang) if self.state in keys else self.state
        if not self.accepting:
            text += tr("printing.rejecting", lang)
        return text


def _check(resp: ipp.Response, path: Path | None) -> None:
    if resp.status in (ipp.NOT_AUTHENTICATED, ipp.NOT_AUTHORIZED):
        raise _error(
            PrintError,
            "印刷サーバーが認証を求めたため、印刷できませんでした。",
            "The print server asked for a sign-in, so nothing was printed.",
            path,
        )


def _server_down(path: Path | None) -> PrintError:
    return _error(
        PrintServerDown,
        "この端末では印刷サービス（CUPS）に接続できません。",
        "No print service (CUPS) answers on this terminal.",
        path,
    )


def destinations(*, path: Path | None = None) -> list[Destination]:
    """Every CUPS destination with its state, the default marked; raises PrintServerDown without CUPS."""
    try:
        default = _default_name()
        resp = ipp.request(ipp.CUPS_GET_PRINTERS, "/", [(ipp.KEYWORD, "requested-attributes", _PRINTER_ATTRS)])
    except ipp.IppError:
        raise _server_down(path) from None
    _check(resp, path)
    out = []
    for g in resp.all(ipp.PRINTER):
        name = clean(g.get("printer-name", [""])[0])
        if not name:
            continue
        state = _IPP_PRINTER_STATES.get(int(g.get("printer-state", [3])[0]), PrinterState.IDLE)  # type: ignore[call-overload]  # IPP values are decoded by tag: typed object
        out.append(
            Destination(
                name=name,
                info=clean(g.get("printer-info", [""])[0]),
                location=clean(g.get("printer-location", [""])[0]),
                state=state,
                accepting=bool(g.get("printer-is-accepting-jobs", [True])[0]),
                reasons=tuple(str(r) for r in g.get("printer-state-reasons", []) if r != "none"),
                message=str(g.get("printer-state-message", [""])[0]),
                is_default=name == default,
            )
        )
    return sorted(out, key=lambda d: (not d.is_default, d.name))


def _default_name() -> str | None:
    resp = ipp.request(ipp.CUPS_GET_DEFAULT, "/", [(ipp.KEYWORD, "requested-attributes", ["printer-name"])])
    if not resp.ok:
        return None
    names = resp.first(ipp.PRINTER).get("printer-name")
    return str(names[0]) if names else None


# --- this terminal's choice ------------------------------------------------------------------------


def config_path() -> Path:
    """This terminal's printer setting: ``printer.json`` in the user's config directory."""
    from platformdirs import user_config_path

    return user_config_path("hwdesk", appauthor=False) / "printer.json"


def chosen_printer() -> str | None:
    """The printer chosen for this terminal, or None (then CUPS's default is used)."""
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("printer") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def choose_printer(name: str | None) -> None:
    """Remember ``name`` as this terminal's printer (None: forget it and use CUPS's default)."""
    path = config_path()
    if name is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"printer": name}, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def resolve(name: str | None = None, *, path: Path | None = None) -> Destination:
    """The destination a job would go to (see the module docstring), ready to print, or a PrintError."""
    dests = destinations(path=path)
    chosen = chosen_printer()
    wanted = name or chosen or next((d.name for d in dests if d.is_default), None)
    if not wanted:
        raise _error(
            NoPrinter,
            "使うプリンターが決まっていません（この端末の設定も、CUPSの既定のプリンターもありません）。"
            "プレビューの「プリンター」で選ぶか、hwdesk printers --use 名前 で設定してください。",
            "No printer is set (none chosen for this terminal and CUPS has no default). "
            "Choose one in the preview (Printer) or with hwdesk printers --use NAME.",
            path,
        )
    dest = next((d for d in dests if d.name == wanted), None)
    if dest is None:
        known = "、".join(d.name for d in dests) or "なし"
        known_en = ", ".join(d.name for d in dests) or "none"
        where = "この端末で選ばれた" if not name and wanted == chosen else ""
        where_en = " chosen for this terminal" if not name and wanted == chosen else ""
        raise _error(
            UnknownPrinter,
            f"{where}プリンター「{wanted}」はありません（使えるプリンター: {known}）。",
            f"There is no printer{where_en} called '{wanted}' (printers here: {known_en}).",
            path,
        )
    if not dest.ready:
        why, why_en = dest.reason("ja"), dest.reason("en")
        raise _error(
            PrinterStopped,
            f"プリンター「{dest.name}」は{dest.state_text('ja')}です"
            + (f"（{why}）" if why else "")
            + "。何も送っていません。",
            f"Printer '{dest.name}' is {dest.state_text('en')}"
            + (f" ({why_en})" if why_en else "")
            + "; nothing was sent.",
            path,
        )
    return dest


# --- a job ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintResult:
    """What became of a job: its printer, CUPS job id, outcome and the printer's reason."""

    printer: str
    job_id: int
    state: str  # one of STATES
    reasons: tuple[str, ...]
    message: str
    pages: int
    path: Path

    def reason(self, lang: str = "ja") -> str:
        """The printer's or the job's reason, in ``lang`` where hwdesk knows the words."""
        return _reason_text(list(self.reasons), self.message, lang)

    def text(self, lang: str = "ja") -> str:
        """The sentence for the clerk."""
        from hwdesk.texts import tr

        why = self.reason(lang)
        return tr(
            f"printing.job.{self.state}",
            lang,
            printer=self.printer,
            pages=self.pages,
            job=f"{self.printer}-{self.job_id}",
            why=tr("printing.why", lang, why=why) if why else "",
            path=self.path,
            fallback=pick(*_fallback(self.path), lang),
        )


def send(
    path: Path, *, printer: str | None = None, title: str | None = None, pages: int = 1, follow: float = FOLLOW_SECONDS
) -> PrintResult:
    """Print the PDF at ``path`` as one job and follow it for ``follow`` seconds (see the module docstring)."""
    dest = resolve(printer, path=path)
    uri = ipp.printer_uri(dest.name)
    op = [
        (ipp.URI, "printer-uri", uri),
        (ipp.NAME, "requesting-user-name", ipp.user()),
        (ipp.NAME, "job-name", title or path.stem),
        (ipp.MIME, "document-format", "application/pdf"),
    ]
    try:
        resp = ipp.request(
            ipp.PRINT_JOB, f"/printers/{dest.name}", op, job=JOB_OPTIONS, document=path.read_bytes(), timeout=30
        )
    except ipp.IppError:
        raise _server_down(path) from None
    _check(resp, path)
    if resp.status == ipp.NOT_FOUND:
        raise _error(
            UnknownPrinter,
            f"プリンター「{dest.name}」はありません。",
            f"There is no printer called '{dest.name}'.",
            path,
        )
    if resp.status == ipp.NOT_ACCEPTING:
        raise _error(
            PrinterStopped,
            f"プリンター「{dest.name}」は印刷を受け付けていません。何も送っていません。",
            f"Printer '{dest.name}' is not accepting jobs; nothing was sent.",
            path,
        )
    if not resp.ok:
        raise _error(
            PrintError,
            f"プリンター「{dest.name}」が印刷を断りました（IPP 0x{resp.status:04x}）。",
            f"Printer '{dest.name}' refused the job (IPP status 0x{resp.status:04x}).",
            path,
        )
    job_id = int(resp.first(ipp.JOB).get("job-id", [0])[0])  # type: ignore[call-overload]  # IPP values are decoded by tag: typed object
    return _follow(dest, job_id, pages=pages, path=path, seconds=follow)


def _job(dest: Destination, job_id: int) -> dict[str, list[object]]:
    resp = ipp.request(
        ipp.GET_JOB_ATTRIBUTES,
        "/",
        [
            (ipp.URI, "printer-uri", ipp.printer_uri(dest.name)),
            (ipp.INTEGER, "job-id", job_id),
            (ipp.NAME, "requesting-user-name", ipp.user()),
            (ipp.KEYWORD, "requested-attributes", _JOB_ATTRS),
        ],
    )
    return resp.first(ipp.JOB) if resp.ok else {}


def _follow(dest: Destination, job_id: int, *, pages: int, path: Path, seconds: float) -> PrintResult:
    deadline = time.monotonic() + seconds
    attrs: dict[str, list[object]] = {}
    state = 3
    while True:
        try:
            attrs = _job(dest, job_id) or attrs
        except ipp.IppError:
            break
        state = int(attrs.get("job-state", [3])[0])  # type: ignore[call-overload]  # IPP values are decoded by tag: typed object
        if state >= 6 or state == 4 or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    reasons = tuple(str(r) for r in attrs.get("job-state-reasons", []))
    message = str(attrs.get("job-printer-state-message", [""])[0])
    now = dest
    if state != 9:  # why it has not printed: the printer's own state says most
        try:
            now = next((d for d in destinations() if d.name == dest.name), dest)
        except PrintError:
            pass
    if state in (3, 5) and not now.ready or state == 6:
        # The printer stopped with the job in it: take the passcode page out of the queue rather
        # than let it print later with no one at the printer.
        _cancel(dest, job_id)
        state = 6
    outcome = {9: "printed", 4: "held", 6: "failed", 7: "failed", 8: "failed"}.get(state, "queued")
    noise = (
        "none",
        "job-incoming",
        "job-queued",
        "job-printing",
        "job-transforming",
        "job-canceled-by-user",
        "processing-to-stop-point",
        "printer-stopped",
        "job-queued-for-marker",
    )
    if outcome == "printed":
        reasons, message = (), ""
    else:
        reasons = tuple(r for r in reasons if r not in noise)
        reasons += tuple(r for r in now.reasons if r not in reasons and not (outcome == "failed" and r == "paused"))
        message = message or now.message
    return PrintResult(dest.name, job_id, outcome, reasons, message, pages, path)


def _cancel(dest: Destination, job_id: int) -> None:
    try:
        ipp.request(
            ipp.CANCEL_JOB,
            "/",
            [
                (ipp.URI, "printer-uri", ipp.printer_uri(dest.name)),
                (ipp.INTEGER, "job-id", job_id),
                (ipp.NAME, "requesting-user-name", ipp.user()),
            ],
        )
    except ipp.IppError:
        pass
