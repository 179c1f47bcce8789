"""One session: details (passcode hidden until asked for, audited), participants, status moves,
booking a seeker by 求職番号, name or reading (refusals list each failed requirement with its
article; a supervisor may override with a reason), cancelling one participant's seat (the freed
seat is offered to the first waiting seeker), confirming or declining an offered seat (its reply
deadline shown), a stopped seeker's booking flagged, the handout preview (the session's or one
seat's), moving the session, and a supervisor's correction of a final state.

Every move to a final state (completed, absent, connection failed, stopped) first says what it
will do and waits for ``y`` (``dialogs.FinalConfirm``): no single key finalizes anything."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from hwdesk.clock import now_jst
from hwdesk.states import NO_SHOW_STATES, SeatState, SessionState
from hwdesk.texts import pick, tr
from screens import dates
from screens.base import HwScreen, lit
from screens.dialogs import Ask, CancelReasonModal, ConfirmModal, FinalConfirm, Pick
from screens.footer import KeyFooter
from screens.session_detail_text import MOVES, final_text, info_lines, participant_rows
from screens.widgets import Column, RowTable


class SessionScreen(HwScreen):
    """A session's details, participants and the moves allowed from its state."""

    CSS_PATH = "session_detail.tcss"
    TITLE_KEY = "sess.title"
    AUTO_FOCUS = "#s-people"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("i", "move('checkin')", "k.checkin"),
        Binding("c", "move('complete')", "k.complete"),
        Binding("a", "move('absent')", "k.absent"),
        Binding("n", "move('conn_failed')", "k.conn_failed"),
        Binding("z", "move('stop')", "k.stop"),
        Binding("x", "cancel", "k.cancel_session"),
        Binding("b", "book", "k.book"),
        Binding("d", "cancel_seat", "k.cancel_seat"),
        # shown in the Footer only while the selected participant holds an offer (_sync_offer_key);
        # pressed on another row it is refused with the reason
        Binding("o", "confirm_offer", "k.confirm_offer", show=False),
        Binding("w", "decline_offer", "k.decline_offer", show=False),
        # f and m are listed in the Footer for supervisors (_sync_offer_key); P is in the palette and README
        Binding("f", "correct", "k.correct", show=False),
        Binding("m", "move_session", "k.move_session", show=False),
        Binding("p", "passcode", "k.passcode"),
        Binding("h", "handout", "k.handout"),
        Binding("P", "seat_handout", "k.seat_handout", show=False),
        Binding("r", "reload", "k.reload", show=False),
    ]

    def __init__(self, session_id: int) -> None:
        super().__init__()
        self.session_id = session_id
        self.detail: Any = None
        self.moves: list[str] = []
        self.passcode: str | None = None
        self.history: list = []

    def compose(self) -> ComposeResult:
        t = self.t
        yield self.header()
        yield Static(lit(t("common.loading")), id="s-info", markup=False)
        yield Static("", id="s-moves", markup=False)
        yield Static("", id="s-msg", markup=False)
        yield RowTable(
            [
                # 80 columns: number, name and state whole; the notes move under the row
                Column(t("col.seeker_no"), min_width=8),
                Column(t("col.name"), min_width=8),
                Column(t("q.col.state"), min_width=4),
                Column(t("sess.col.notes"), min_width=10, priority=2, detail=True),
            ],
            id="s-people",
            fit_content=True,
        )
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.watch(self.query_one(RowTable), "cursor", self._sync_offer_key, init=False)
        self.reload()
        self.hw.settle_offers(lambda: self.reload())  # an offer past its deadline moves on before it is acted on

    def _sync_offer_key(self, *_: object) -> None:
        """List ``o`` in the Footer only when the selected participant holds a seat offer, and
        ``p`` only when the session has a passcode (the footer lists what applies, nothing more)."""
        from dataclasses import replace

        key = self.query_one(RowTable).current_key
        d = self.detail
        offer = d is not None and any(e.seeker_id == key and e.state == SeatState.OFFERED for e in d.enrollments)
        sup = self.hw.actor is not None and self.hw.actor.at_least("supervisor")
        wanted = {"o": offer, "w": offer, "p": d is None or d.has_passcode, "f": sup, "m": sup}
        from screens.textual_private import key_bindings

        bindings = key_bindings(self)
        changed = False
        for k, show in wanted.items():
            items = bindings.get(k, [])
            if items and items[0].show != show:
                bindings[k] = [replace(b, show=show) for b in items]
                changed = True
        if changed:
            self.refresh_bindings()

    def reload(self) -> None:
        sid = self.session_id

        def work(s):
            from hwdesk.services import corrections, scheduling

            self.history = corrections.history(s, actor=self.hw.actor, session_id=sid)
            return scheduling.session_detail(s, actor=self.hw.actor, session_id=sid), scheduling.allowed_moves(
                s, session_id=sid
            )

        self.db(work, self._show, group="session")

    def _show(self, result) -> None:
        from hwdesk.states import state_label

        d, moves = result
        self.detail, self.moves = d, moves
        lang, t = self.lang, self.t
        info = info_lines(d, self.history, self.passcode, lang)
        self.query_one("#s-info", Static).update(lit("\n".join(info), multiline=True))
        nxt = tr("common.sep_names", lang).join(state_label(m, lang) for m in moves) or t("sess.final")
        self.query_one("#s-moves", Static).update(lit(t("sess.allowed", moves=nxt)))
        table = self.query_one(RowTable)
        key = table.current_key
        table.set_rows(participant_rows(d, lang), [e.seeker_id for e in d.enrollments])
        if key in table.keys:
            table.cursor = table.keys.index(key)
        self._sync_offer_key()

    def say_here(self, text: str, *, error: bool = False) -> None:
        msg = self.query_one("#s-msg", Static)
        msg.update(lit(text, multiline=True))
        msg.set_class(error, "-error")

    # --- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.reload()

    def action_move(self, name: str) -> None:
        if self.detail is None:
            return
        from hwdesk.services.scheduling import is_group

        target, per_seeker = MOVES[name]
        seeker = self.query_one(RowTable).current_key if per_seeker and is_group(self.detail.kind) else None
        if target == SeatState.CHECKED_IN or not self._allowed(target, seeker):
            self._set_state(target, seeker)  # nothing final happens: the service moves it or says why not
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._set_state(target, seeker)

        self.app.push_screen(FinalConfirm(final_text(self.detail, target, seeker, self.lang)), confirmed)

    def _allowed(self, target: str, seeker: Any) -> bool:
        """Whether the move is allowed from the states on screen (a refused move needs no confirmation)."""

        from hwdesk.states import ENROLLMENT_PATHS

        d = self.detail
        if target in NO_SHOW_STATES and now_jst() < d.start:
            return False
        if seeker is not None:
            line = next((e for e in d.enrollments if e.seeker_id == seeker), None)
            return line is not None and target in ENROLLMENT_PATHS.get(line.state, ())
        return (SessionState.NO_SHOW if target in NO_SHOW_STATES else target) in self.moves

    def _set_state(self, target: str, seeker: Any = None, reason: str = "") -> None:
        actor, sid = self.hw.actor, self.session_id

        def work(s):
            from hwdesk.services import scheduling

            scheduling.set_state(s, actor=actor, session_id=sid, state=target, seeker_id=seeker, reason=reason)

        def ok(_):
            from hwdesk.states import state_label

            self.say_here(self.t("sess.moved", state=state_label(target, self.lang)))
            self.reload()

        def err(exc):
            self.say_here(self.hw.message_of(exc), error=True)
            self.hw.show_error(exc)

        self.db(work, ok, err, write=True, group="move")

    def action_cancel(self) -> None:
        def chosen(reason: str | None) -> None:
            if reason:
                self._set_state(SessionState.CANCELLED, None, reason)

        self.app.push_screen(CancelReasonModal(), chosen)

    def _participant(self) -> Any:
        """The selected participant row's enrollment line (None with a message when none)."""
        key = self.query_one(RowTable).current_key
        line = next((e for e in self.detail.enrollments if e.seeker_id == key), None) if self.detail else None
        if line is None:
            self.say_here(self.t("sess.no_participant"), error=True)
        return line

    def action_cancel_seat(self) -> None:
        """Cancel the selected participant's seat: reason picker, then a yes/no confirmation."""
        from hwdesk.states import CANCEL_LABELS, CANCELLABLE_STATES, state_label

        if self.busy("seat"):  # a second press while the first is stored would act twice
            return
        e = self._participant()
        if e is None:
            return
        if e.state not in CANCELLABLE_STATES:  # no dialogs for a cancel the service would refuse
            self.say_here(
                self.t("sess.seat_not_cancellable", no=e.seeker_no, state=state_label(e.state, self.lang)), error=True
            )
            return

        def chosen(reason: str | None) -> None:
            if not reason:
                return
            label = pick(*CANCEL_LABELS[reason], self.lang)

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._cancel_seat(e.seeker_id, e.seeker_no, reason)

            self.app.push_screen(
                ConfirmModal(self.t("sess.seat_confirm", no=e.seeker_no, name=e.name, reason=label)), confirmed
            )

        prompt = self.t("sess.seat_cancel_prompt", no=e.seeker_no, name=e.name)
        self.app.push_screen(CancelReasonModal(prompt), chosen)

    def _cancel_seat(self, seeker_id: int, seeker_no: str, reason: str) -> None:
        actor, sid = self.hw.actor, self.session_id

        def work(s):
            from hwdesk.services import scheduling

            res = scheduling.cancel_enrollment(s, actor=actor, session_id=sid, seeker_id=seeker_id, reason=reason)
            offered = {e.seeker_id for e in res.offered}
            # names of the seekers offered the freed seat, read in the same transaction
            return [
                (x.seeker_no, x.name)
                for x in scheduling.session_detail(s, actor=self.hw.actor, session_id=sid).enrollments
                if x.seeker_id in offered
            ]

        def ok(offered: list[tuple[str, str]]) -> None:
            text = [self.t("sess.seat_cancelled", no=seeker_no)]
            text += [self.t("sess.seat_offered", no=no, name=name) for no, name in offered]
            self.say_here("\n".join(text))
            self.reload()

        self.db(work, ok, self._refused, write=True, group="seat")

    def action_confirm_offer(self) -> None:
        """The selected participant takes the seat offered to them (refused unless they hold an offer)."""
        if self.busy("seat"):  # a second press while the first is stored would act twice
            return
        e = self._participant()
        if e is None:
            return
        actor, sid, seeker_id, no = self.hw.actor, self.session_id, e.seeker_id, e.seeker_no

        def work(s):
            from hwdesk.services import scheduling

            # the service decides: the row on screen may be stale (another clerk, another process)
            scheduling.confirm_offer(s, actor=actor, session_id=sid, seeker_id=seeker_id)

        def ok(_) -> None:
            self.say_here(self.t("sess.offer_confirmed", no=no))
            self.reload()

        self.db(work, ok, self._refused, write=True, group="seat")

    def _refused(self, exc: BaseException) -> None:
        self.say_here(self.hw.message_of(exc), error=True)
        self.hw.show_error(exc)
        self.reload()  # show the states as stored now (a refusal often means the row was stale)

    def action_decline_offer(self) -> None:
        """The selected participant declines the seat offered to them (confirmed with y)."""
        if self.busy("seat"):
            return
        e = self._participant()
        if e is None:
            return
        if e.state != SeatState.OFFERED:
            self.say_here(self.t("sess.not_offered", no=e.seeker_no), error=True)
            return
        actor, sid, seeker_id, no = self.hw.actor, self.session_id, e.seeker_id, e.seeker_no

        def work(s):
            from hwdesk.services import offers

            offers.decline(s, actor=actor, session_id=sid, seeker_id=seeker_id)

        def ok(_) -> None:
            self.say_here(self.t("sess.declined", no=no))
            self.reload()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.db(work, ok, self._refused, write=True, group="seat")

        self.app.push_screen(FinalConfirm(self.t("fin.decline", no=e.seeker_no, name=e.name)), confirmed)

    def action_correct(self) -> None:
        """A supervisor corrects a final state (the selected seat's in a group session, else the
        session's): pick the state, give the reason. A clerk sees the refusal."""
        from hwdesk.services.scheduling import is_group
        from hwdesk.states import SEAT_FINAL, SESSION_FINAL, state_label

        d = self.detail
        if d is None:
            return
        actor = self.hw.actor
        if actor is None or not actor.at_least("supervisor"):
            from hwdesk.errors import PermissionDenied

            exc = PermissionDenied(
                "確定した状態の訂正は監督者以上の権限が必要です。", "Correcting a final state needs a supervisor."
            )
            self.say_here(self.hw.message_of(exc), error=True)
            return
        key = self.query_one(RowTable).current_key
        line = next((e for e in d.enrollments if e.seeker_id == key), None)
        if not is_group(d.kind):
            line = next((e for e in d.enrollments if e.state in SEAT_FINAL), None)
        if line is not None and line.state in SEAT_FINAL:
            options: tuple[str, ...] = SEAT_FINAL
            seeker, current = line.seeker_id, line.state
        elif is_group(d.kind) and d.state in SESSION_FINAL:
            seeker, current, options = None, d.state, SESSION_FINAL
        else:
            self.say_here(self.t("sess.not_final"), error=True)
            return
        lang = self.lang
        choices = [(st, state_label(st, lang)) for st in options if st != current]

        def picked(target: str | None) -> None:
            if target:
                self.app.push_screen(
                    Ask(self.t("sess.correct_reason")),
                    lambda reason: self._correct(seeker, target, reason) if reason else None,
                )

        prompt = (f"{line.seeker_no} {line.name}\n" if seeker is not None and line is not None else "") + self.t(
            "sess.correct_what", state=state_label(current, lang)
        )
        self.app.push_screen(Pick(prompt, choices), picked)

    def _correct(self, seeker: Any, target: str, reason: str) -> None:
        actor, sid = self.hw.actor, self.session_id

        def work(s):
            from hwdesk.services import corrections

            return corrections.correct_state(
                s, actor=actor, session_id=sid, state=target, seeker_id=seeker, reason=reason
            )

        def ok(res) -> None:
            from hwdesk.states import state_label

            before, after = (res.seats[0][1], res.seats[0][2]) if res.seats else (res.session_before, res.session_after)
            self.say_here(
                self.t("sess.corrected", before=state_label(before, self.lang), after=state_label(after, self.lang))
            )
            self.reload()

        self.db(work, ok, self._refused, write=True, group="correct")

    def action_seat_handout(self) -> None:
        """The handout of the selected participant only."""
        e = self._participant()
        if e is None:
            return
        from screens.handout_preview import HandoutPreview

        self.app.push_screen(HandoutPreview(self.session_id, seeker_id=e.seeker_id))

    def action_move_session(self) -> None:
        """Move the session to another day or time (a new linked session takes the bookings; every
        rule re-checked); then the seekers to tell are listed and the handouts may be reprinted."""
        if self.detail is None or self.busy("move-session"):
            return
        d = self.detail

        def check(text: str):
            from screens.session_form import parse_move

            return parse_move(text)

        value = f"{d.start:%Y-%m-%d} {d.start:%H:%M}-{d.end:%H:%M}"
        self.app.push_screen(Ask(self.t("sess.move_prompt"), value=value, check=check), self._move_to)

    def _move_to(self, span: Any) -> None:
        if not span:
            return
        start, end = span
        actor, sid = self.hw.actor, self.session_id

        def work(s):
            from hwdesk.services import scheduling

            new = scheduling.reschedule(s, actor=actor, session_id=sid, new_start=start, new_end=end)
            people = [
                f"{e.seeker_no} {e.name}"
                for e in scheduling.session_detail(s, actor=actor, session_id=new.id).enrollments
                if e.state != SeatState.CANCELLED
            ]
            return new.id, people

        def ok(result) -> None:
            new_id, people = result
            old, self.session_id, self.passcode = self.session_id, new_id, None
            who = self.t("common.sep_names").join(people) or self.t("common.none")
            self.say_here(self.t("sess.moved_to", old=old, new=new_id, when=dates.span(start, end, self.lang), who=who))
            self.reload()
            if people:
                from screens.handout_preview import HandoutPreview

                def reprint(yes: bool | None) -> None:
                    if yes:
                        self.app.push_screen(HandoutPreview(new_id))

                self.app.push_screen(ConfirmModal(self.t("sess.reprint")), reprint)

        def err(exc) -> None:
            lines_ = [self.hw.message_of(exc)]
            office = self.hw.office_name(self.detail.office_id) if self.detail else ""
            for f in getattr(exc, "failures", []) or []:
                try:
                    lines_.append(f.line(office, self.lang))
                except Exception:
                    lines_.append(str(f))
            self.say_here("\n".join(lines_), error=True)

        self.db(work, ok, err, write=True, group="move-session")

    def action_book(self) -> None:
        def done(result: Any) -> None:
            if result:
                self.say_here(self.t("sess.booked", no=result))
                self.reload()

        from screens.book_dialog import BookModal

        self.app.push_screen(BookModal(self.session_id), done)

    def action_passcode(self) -> None:
        if self.detail is None or not self.detail.has_passcode:
            return
        if self.passcode is not None:  # second press hides it again
            self.passcode = None
            self._show((self.detail, self.moves))
            return
        actor, sid = self.hw.actor, self.session_id

        def work(s):
            from hwdesk.services import scheduling

            return scheduling.session_passcode(s, actor=actor, session_id=sid)

        def ok(code: str) -> None:
            self.passcode = code
            self._show((self.detail, self.moves))

        self.db(work, ok, write=True, group="passcode")

    def action_handout(self) -> None:
        from screens.handout_preview import HandoutPreview

        self.app.push_screen(HandoutPreview(self.session_id))

    @on(RowTable.Chosen)
    def _chosen(self, event: RowTable.Chosen) -> None:
        self.hw.open_seeker(int(event.key))
