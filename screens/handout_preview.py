"""Handout preview (a dialog): the join QR drawn in the terminal with half blocks, the details,
the printer it will use (this terminal's choice, else CUPS's default; ``r`` chooses another),
then print or save the PDF (``s`` asks for the folder: this terminal's last one, else the user's
Downloads). Printing always saves the PDF first (to that folder), then
sends it to CUPS and says what became of the job (hwdesk.printing). Served in a browser, the
saved PDF is also delivered as a download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import HwModal, lit
from screens.footer import KeyFooter
from screens.inputs import Input


def downloads_dir() -> Path:
    """Where saved handouts go unless the terminal chose another folder (the user's Downloads;
    tests replace this function)."""
    from platformdirs import user_downloads_path

    return Path(user_downloads_path())


def folder_setting_path() -> Path:
    """This terminal's handout folder: ``handout.json`` in the user's config directory (beside
    the printer choice, ``hwdesk.printing.config_path``)."""
    from hwdesk import printing

    return printing.config_path().with_name("handout.json")


def save_folder() -> Path:
    """The folder the last handout was saved to on this terminal, else the Downloads folder."""
    import json

    try:
        folder = json.loads(folder_setting_path().read_text(encoding="utf-8")).get("folder")
    except (OSError, ValueError, AttributeError):
        folder = None
    return Path(folder) if isinstance(folder, str) and folder else downloads_dir()


def remember_folder(folder: Path) -> None:
    """Make ``folder`` this terminal's default for saving handouts (nothing is written while the
    default is still the Downloads folder)."""
    import json

    path = folder_setting_path()
    if folder == downloads_dir() and not path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"folder": str(folder)}, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def pdf_page_count(data: bytes) -> int:
    """How many pages a PDF holds (ReportLab writes one ``/Type /Page`` object per page)."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


class HandoutPreview(HwModal):
    """The handout of one session as the seeker will receive it."""

    CSS_PATH = "handout_preview.tcss"
    BINDINGS = [
        Binding("escape", "close", "k.back"),
        Binding("p", "print", "k.print"),
        Binding("s", "save", "k.save_pdf"),
        Binding("l", "large", "k.large_print"),
        Binding("e", "english", "k.english"),
        Binding("r", "printers", "k.printer"),
    ]

    def __init__(self, session_id: int, seeker_id: int | None = None) -> None:
        super().__init__()
        self.session_id = session_id
        self.seeker_id = seeker_id
        self.large_print = False
        self.doc_lang = self.lang
        self.qr: list[str] = []
        self.saved_path: Path | None = None
        self.job: Any = None
        self.sheets: dict[bool, int] = {}  # large print? → A4 sheets of the whole job

    def compose(self) -> ComposeResult:
        with Vertical(id="hp-box"):
            with Horizontal(id="hp-main"):
                yield Static("", id="hp-qr", markup=False)
                with VerticalScroll(id="hp-side"):
                    yield Static(lit(self.t("common.loading")), id="hp-details", markup=False)
                    yield Static("", id="hp-printer", markup=False)
                    yield OptionList(id="hp-printers")
            # Outside the scrolling details: what saving asks and what it did stay in view at 80×24.
            with Horizontal(id="hp-folder-row"):
                yield Label(self.t("hp.folder"), id="hp-folder-label", markup=False)
                yield Input(id="hp-folder", compact=True)
            yield Static("", id="hp-status", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#hp-printers", OptionList).display = False
        self.query_one("#hp-folder-row").display = False
        self.load()
        self.load_printers()

    def _background(self, fn, ok, err, *, group: str) -> None:
        """``fn()`` in a thread (CUPS may take seconds to answer); ``ok``/``err`` on the UI thread."""

        def deliver(callback, value) -> None:
            def run() -> None:
                if self.is_attached:  # the dialog may have been closed meanwhile
                    callback(value)

            try:
                self.app.call_from_thread(run)
            except RuntimeError:  # the app is shutting down
                pass

        def job() -> None:
            try:
                result = fn()
            except Exception as exc:  # shown in the dialog, never raised into Textual
                deliver(err, exc)
                return
            deliver(ok, result)

        self.run_worker(job, thread=True, group=group, exit_on_error=False)

    def load_printers(self) -> None:
        """Which printer a print would use, and the list to choose from (off the UI thread)."""

        def work():
            from hwdesk import printing

            return printing.destinations(), printing.chosen_printer()

        self._background(
            work,
            self._show_printers,
            lambda exc: self._printer_line(self.t("hp.printer_down"), error=True),
            group="printers",
        )

    def _printer_line(self, text: str, *, error: bool = False) -> None:
        line = self.query_one("#hp-printer", Static)
        line.update(lit(text))
        line.set_class(error, "-error")

    def _show_printers(self, result) -> None:
        dests, chosen = result
        self.printers = dests
        t, lang = self.t, self.lang
        use = (
            next((d for d in dests if d.name == chosen), None)
            if chosen
            else next((d for d in dests if d.is_default), None)
        )
        if chosen and use is None:
            self._printer_line(t("hp.printer_gone", name=chosen), error=True)
        elif use is None:
            self._printer_line(t("hp.printer_none"), error=True)
        else:
            why = use.reason(lang)
            state = use.state_text(lang) + (t("q.paren", text=why) if why else "")
            how = t("hp.printer_chosen") if chosen else t("hp.printer_default")
            self._printer_line(t("hp.printer", name=use.name, how=how, state=state), error=not use.ready)
        options = []
        for d in dests:
            marks = (t("hp.printer_mark_chosen") if d.name == chosen else "") + (
                t("hp.printer_mark_default") if d.is_default else ""
            )
            why = d.reason(lang)
            state = d.state_text(lang) + (t("q.paren", text=why) if why else "")
            options.append(Option(lit(t("hp.printer_item", name=d.name, marks=marks, state=state)), id=d.name))
        lst = self.query_one("#hp-printers", OptionList)
        lst.clear_options()
        lst.add_options(options)

    def load(self) -> None:
        actor, sid, seeker, lang = self.hw.actor, self.session_id, self.seeker_id, self.doc_lang

        def work(s):
            from hwdesk.handout import qr_halfblocks
            from hwdesk.services import handouts

            job = handouts.for_session(s, actor=actor, session_id=sid, seeker_id=seeker, lang=lang)
            return job, qr_halfblocks(job.pages[0].join_url), _sheets(job, lang)

        def err(exc):
            self.query_one("#hp-details", Static).update(lit(self.hw.message_of(exc)))
            self.query_one("#hp-details", Static).add_class("-error")

        self.db(work, self._show, err, group="handout")

    def _show(self, result) -> None:
        from hwdesk.clock import JST
        from hwdesk.handout import PLATFORM_NAMES
        from hwdesk.jtext.dates import format_date_en, format_wareki
        from hwdesk.texts import tr

        self.job, self.qr = result[0], result[1]
        if len(result) > 2:
            self.sheets = result[2]
        page = self.job.pages[0]
        doc = self.doc_lang

        def t(key: str, **values: object) -> str:  # the handout's language, not the UI's
            return tr(key, doc, **values)

        self.query_one("#hp-qr", Static).update(lit("\n".join(self.qr), multiline=True))
        names = [p.seeker_name for p in self.job.pages if p.seeker_name]
        start, end = page.start.astimezone(JST), page.end.astimezone(JST)
        day = format_wareki(start.date(), weekday=True) if doc == "ja" else format_date_en(start.date(), weekday=True)
        sheets = self.sheets.get(self.large_print)
        info = [
            page.office_name,
            page.service_label + (f"  {page.title}" if page.title else ""),
            f"{day} {start:%H:%M}–{end:%H:%M}",
            f"{t('sess.platform')}: {PLATFORM_NAMES.get(page.platform, {}).get(doc, page.platform)}",  # as printed
            f"URL: {page.join_url}",
            f"{t('sess.meeting_id')}: {page.meeting_id or '-'}",
            f"{t('sess.passcode')}: {t('hp.passcode_printed') if page.passcode else t('common.none')}",
            t("hp.pages", n=len(self.job.pages))
            + (t("hp.sheets", n=sheets) if sheets else "")
            + (f"（{'、'.join(names)}）" if names else ""),
            "",
            t(
                "hp.options",
                large=t("common.yes") if self.large_print else t("common.no"),
                lang=t("hp.lang_ja") if doc == "ja" else t("hp.lang_en"),
            ),
            "",
            *[
                ("　" if i.sub else "") + (f"・{i.text}（{i.cite}）" if i.cite else f"・{i.text}")
                for i in page.instructions
            ],
            *([f"{page.footer_note.text}（{page.footer_note.cite}）"] if page.footer_note else []),
        ]
        self.query_one("#hp-details", Static).update(lit("\n".join(info), multiline=True))

    def _status(self, text: str, *, error: bool = False) -> None:
        st = self.query_one("#hp-status", Static)
        st.update(lit(text, multiline=True))
        st.set_class(error, "-error")

    # --- actions ---------------------------------------------------------------------------------

    def action_close(self) -> None:
        row = self.query_one("#hp-folder-row")
        if row.display:  # Esc leaves the folder question first (nothing saved)
            row.display = False
            self._status("")
            return
        lst = self.query_one("#hp-printers", OptionList)
        if lst.display:  # Esc closes the printer list first
            lst.display = False
            self._status("")
            return
        self.dismiss(None)

    def action_printers(self) -> None:
        """Show the CUPS printers to choose this terminal's printer from (Enter chooses)."""
        lst = self.query_one("#hp-printers", OptionList)
        if lst.display:
            lst.display = False
            return
        if not getattr(self, "printers", None):
            self.load_printers()
            return
        lst.display = True
        if lst.highlighted is None and lst.option_count:
            lst.highlighted = 0
        lst.focus()
        self._status(self.t("hp.printer_pick"))
        self.call_after_refresh(lst.scroll_visible)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id != "hp-printers" or event.option.id is None:
            return
        event.stop()
        name = event.option.id

        def work():
            from hwdesk import printing

            printing.choose_printer(name)
            return name

        def ok(_name) -> None:
            event.option_list.display = False
            self._status(self.t("hp.printer_set", name=name))
            self.load_printers()

        self._background(work, ok, lambda exc: self._status(self.hw.message_of(exc), error=True), group="printers")

    def action_large(self) -> None:
        self.large_print = not self.large_print
        if self.job is not None:
            self._show((self.job, self.qr))

    def action_english(self) -> None:
        self.doc_lang = "ja" if self.doc_lang == "en" else "en"
        self.load()

    def action_save(self) -> None:
        """Ask where to save (this terminal's last folder filled in); Enter saves there."""
        if self.job is None:
            return
        field = self.query_one("#hp-folder", Input)
        field.value = str(save_folder())
        field.cursor_position = len(field.value)
        self.query_one("#hp-folder-row").display = True
        field.focus()
        self._status(self.t("hp.folder_prompt"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "hp-folder":
            return
        event.stop()
        text = event.value.strip()
        if not text:
            self._status(self.t("hp.folder_empty"), error=True)
            return
        folder = Path(text).expanduser()
        if not folder.is_absolute():  # a bare name: a folder inside Downloads, never the app's cwd
            folder = downloads_dir() / folder
        self.query_one("#hp-folder-row").display = False
        self.query_one("#hp-side").focus()
        self._write_pdf(print_it=False, folder=folder)

    def action_print(self) -> None:
        self._write_pdf(print_it=True)

    def _write_pdf(self, *, print_it: bool, folder: Path | None = None) -> None:
        if self.job is None or self.busy("handout-write") or self.busy("handout-print"):
            return
        actor, job, large, lang = self.hw.actor, self.job, self.large_print, self.doc_lang
        chosen = folder
        folder = folder or save_folder()
        sid = self.session_id

        def work(s):
            from hwdesk.services import handouts

            folder.mkdir(parents=True, exist_ok=True)
            if chosen is not None:
                remember_folder(folder)
            out = folder / f"hwdesk-handout-S-{sid:06d}{'-en' if lang == 'en' else ''}.pdf"
            n = 1
            while out.exists():
                n += 1
                out = folder / f"hwdesk-handout-S-{sid:06d}{'-en' if lang == 'en' else ''}-{n}.pdf"
            return handouts.write(s, actor=actor, job=job, out=out, large_print=large, lang=lang)

        def ok(path) -> None:
            self.saved_path = path
            if print_it:
                self._status(self.t("hp.printing", path=str(path)))
                self._send(path)
            else:
                self._status(self.t("hp.saved", path=str(path)))
            if getattr(self.app, "is_web", False):
                try:
                    self.app.deliver_binary(path, mime_type="application/pdf")
                except Exception as exc:  # pragma: no cover - browser only
                    self.hw.show_error(exc)

        def err(exc) -> None:
            if isinstance(exc, OSError):  # a folder that cannot be made or written: say which
                self._status(self.t("hp.folder_bad", path=str(folder), why=exc.strerror or str(exc)), error=True)
                return
            self._status(self.hw.message_of(exc), error=True)

        self.db(work, ok, err, write=True, group="handout-write")

    def _send(self, path: Path) -> None:
        """Print the saved file (CUPS; followed for a few seconds), then audit the job."""
        actor, job = self.hw.actor, self.job

        def work():
            from hwdesk.services import handouts

            return handouts.send_to_printer(path, job=job)

        def sent(result) -> None:
            def record(s):
                from hwdesk.services import handouts

                handouts.record_sent(s, actor=actor, job=job, result=result)

            self._status(result.text(self.lang), error=result.state == "failed")
            self.db(
                record,
                None,
                lambda exc: self._status(self.hw.message_of(exc), error=True),
                write=True,
                group="handout-sent",
            )
            self.load_printers()  # its state may have changed (a jam)

        def failed(exc) -> None:
            self._status(self.hw.message_of(exc), error=True)
            self.load_printers()

        self._background(work, sent, failed, group="handout-print")


def _sheets(job, lang: str) -> dict[bool, int]:
    """The A4 sheets the job prints on, in normal and in large print (a large-print handout may
    run to a second page, so the count of handouts is not the count of sheets)."""
    from hwdesk.handout.render import _pdf_bytes

    return {large: pdf_page_count(_pdf_bytes(job.pages, large_print=large, lang=lang)) for large in (False, True)}
