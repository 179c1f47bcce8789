"""Handout preview (a dialog): the join QR drawn in the terminal with half blocks, the details,
then print (CUPS ``lp``; without CUPS the PDF is saved and its path shown) or save the PDF to the
user's Downloads. Served in a browser, the saved PDF is also delivered as a download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from screens.base import HwModal, lit
from screens.widgets import KeyFooter


def downloads_dir() -> Path:
    """Where saved handouts go (the user's Downloads; tests replace this function)."""
    from platformdirs import user_downloads_path

    return Path(user_downloads_path())


class HandoutPreview(HwModal):
    """The handout of one session as the seeker will receive it."""

    CSS_PATH = "handout_preview.tcss"
    BINDINGS = [
        Binding("escape", "close", "k.back"),
        Binding("p", "print", "k.print"),
        Binding("s", "save", "k.save_pdf"),
        Binding("l", "large", "k.large_print"),
        Binding("e", "english", "k.english"),
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

    def compose(self) -> ComposeResult:
        with Horizontal(id="hp-box"):
            yield Static("", id="hp-qr", markup=False)
            with VerticalScroll(id="hp-side"):
                yield Static(lit(self.t("common.loading")), id="hp-details", markup=False)
                yield Static("", id="hp-status", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        actor, sid, seeker, lang = self.hw.actor, self.session_id, self.seeker_id, self.doc_lang

        def work(s):
            from hwdesk.handout import qr_halfblocks
            from hwdesk.services import handouts

            job = handouts.for_session(s, actor=actor, session_id=sid, seeker_id=seeker, lang=lang)
            return job, qr_halfblocks(job.pages[0].join_url)

        def err(exc):
            self.query_one("#hp-details", Static).update(lit(self.hw.message_of(exc)))
            self.query_one("#hp-details", Static).add_class("-error")

        self.db(work, self._show, err, group="handout")

    def _show(self, result) -> None:
        from hwdesk.jtext import JST

        self.job, self.qr = result
        page = self.job.pages[0]
        t = self.t
        self.query_one("#hp-qr", Static).update(lit("\n".join(self.qr), multiline=True))
        names = [p.seeker_name for p in self.job.pages if p.seeker_name]
        info = [
            page.office_name,
            page.service_label + (f"  {page.title}" if page.title else ""),
            f"{page.start.astimezone(JST):%Y-%m-%d %H:%M}–{page.end.astimezone(JST):%H:%M}",
            f"{t('sess.platform')}: {page.platform}",
            f"URL: {page.join_url}",
            f"{t('sess.meeting_id')}: {page.meeting_id or '-'}",
            f"{t('sess.passcode')}: {t('hp.passcode_printed') if page.passcode else t('common.none')}",
            t("hp.pages", n=len(self.job.pages)) + (f"（{'、'.join(names)}）" if names else ""),
            "",
            t("hp.options", large=t("common.yes") if self.large_print else t("common.no"), lang=self.doc_lang),
            "",
            *[("　" if i.sub else "") + (f"・{i.text}（{i.cite}）" if i.cite else f"・{i.text}") for i in page.instructions],
            *([f"{page.footer_note.text}（{page.footer_note.cite}）"] if page.footer_note else []),
        ]
        self.query_one("#hp-details", Static).update(lit("\n".join(info), multiline=True))

    def _status(self, text: str, *, error: bool = False) -> None:
        st = self.query_one("#hp-status", Static)
        st.update(lit(text, multiline=True))
        st.set_class(error, "-error")

    # --- actions ---------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_large(self) -> None:
        self.large_print = not self.large_print
        if self.job is not None:
            self._show((self.job, self.qr))

    def action_english(self) -> None:
        self.doc_lang = "ja" if self.doc_lang == "en" else "en"
        self.load()

    def action_save(self) -> None:
        self._write_pdf(print_it=False)

    def action_print(self) -> None:
        self._write_pdf(print_it=True)

    def _write_pdf(self, *, print_it: bool) -> None:
        if self.job is None or self.busy("handout-write"):
            return
        actor, job, large, lang = self.hw.actor, self.job, self.large_print, self.doc_lang
        folder = downloads_dir()
        sid = self.session_id

        def work(s):
            from hwdesk.services import handouts

            folder.mkdir(parents=True, exist_ok=True)
            out = folder / f"hwdesk-handout-S-{sid:06d}{'-en' if lang == 'en' else ''}.pdf"
            n = 1
            while out.exists():
                n += 1
                out = folder / f"hwdesk-handout-S-{sid:06d}{'-en' if lang == 'en' else ''}-{n}.pdf"
            path = handouts.write(s, actor=actor, job=job, out=out, large_print=large, lang=lang)
            printed = handouts.send_to_printer(path) if print_it else None
            return path, printed

        def ok(result) -> None:
            path, printed = result
            self.saved_path = path
            if print_it and printed:
                self._status(self.t("hp.printed", job=printed, path=str(path)))
            elif print_it:
                self._status(self.t("hp.no_printer", path=str(path)))
            else:
                self._status(self.t("hp.saved", path=str(path)))
            if getattr(self.app, "is_web", False):
                try:
                    self.app.deliver_binary(path, mime_type="application/pdf")
                except Exception as exc:  # pragma: no cover - browser only
                    self.hw.show_error(exc)

        def err(exc) -> None:
            self._status(self.hw.message_of(exc), error=True)

        self.db(work, ok, err, write=True, group="handout-write")
