"""The text of a session's screen: its details, its participants' rows, what a final move will do.

Built from the read the screen shows (``scheduling.session_detail``); the screen
(``screens.session_detail``) lays it out and acts on the keys.
"""

from __future__ import annotations

from typing import Any

from hwdesk.states import SEAT_STATES, SeatState, SessionState
from hwdesk.texts import tr
from screens import dates

MOVES = {
    "checkin": (SeatState.CHECKED_IN, True),
    "complete": (SessionState.COMPLETED, False),
    "absent": (SeatState.ABSENT, True),
    "conn_failed": (SeatState.CONNECTION_FAILED, True),
    "stop": (SessionState.STOPPED, False),
}
"""Key action → (the target state for ``set_state``, whether it applies to the selected seeker in a group session)."""

_ENDS = (SessionState.COMPLETED, SessionState.STOPPED)


def info_lines(d: Any, history: list, passcode: str | None, lang: str) -> list[str]:
    """The session's details: kind, time, state, staff, platform, link, passcode (hidden until asked
    for), seats, the cancel reason, overrides and the corrections' history."""
    from hwdesk.services.scheduling import is_group
    from hwdesk.states import CANCEL_LABELS, state_label
    from hwdesk.terms import PLATFORM_LABELS, service_label

    def t(key: str, **values: object) -> str:
        return tr(key, lang, **values)

    no_of = {e.seeker_id: e.seeker_no for e in d.enrollments}
    platform = PLATFORM_LABELS.get(d.platform, d.platform)
    if d.has_passcode:
        code = passcode if passcode is not None else t("sess.passcode_hidden")
    else:
        code = t("common.none")
    info = [
        f"#{d.id}  {service_label(d.kind, lang)}{'  ' + d.title if d.title else ''}",
        f"{t('sess.when')}: {dates.span(d.start, d.end, lang)}   {t('q.col.state')}: {state_label(d.state, lang)}"
        f"   {t('q.col.staff')}: {d.staff_name}（{d.staff_login}）",
        f"{t('sess.platform')}: {platform}   URL: {d.join_url or t('sess.no_link')}",
        f"{t('sess.meeting_id')}: {d.meeting_id or '-'}   {t('sess.passcode')}: {code}",
    ]
    if is_group(d.kind):
        info.append(t("sess.seats", taken=d.seats_taken, capacity=d.capacity, waiting=d.waiting))
    if d.cancel_reason:
        lab = CANCEL_LABELS.get(d.cancel_reason, (d.cancel_reason, d.cancel_reason))
        info.append(f"{t('sess.cancel_reason')}: {lab[1] if lang == 'en' else lab[0]} {d.cancel_note}")
    for e in d.overrides:
        info.append(t("sess.override_line", no=e.seeker_no, reason=e.override_reason, by=e.override_by))
    info += [h.line(lang, no_of.get(h.seeker_id, "")) for h in history]
    return info


def participant_rows(d: Any, lang: str) -> list[list[str]]:
    """One row per booking: 求職番号, name, state (with the waitlist rank), and notes (a stop of use,
    an offer's reply deadline, an override's reason)."""
    from hwdesk.states import state_label

    def t(key: str, **values: object) -> str:
        return tr(key, lang, **values)

    rows = []
    for e in d.enrollments:
        st = state_label(e.state, lang) + (f" #{e.waitlist_rank}" if e.waitlist_rank else "")
        notes = []
        if e.stopped is not None:
            notes.append("⚠ " + t("sess.stopped_flag", cite=e.stopped))
        if e.state == SeatState.OFFERED and e.offered_until is not None:
            from hwdesk.services.offers import format_until

            notes.append(t("sess.offer_until", until=format_until(e.offered_until, lang)))
        if e.override_reason:
            notes.append(e.override_reason)
        rows.append([e.seeker_no, e.name, st, " / ".join(notes)])
    return rows


def final_text(d: Any, target: str, seeker: Any, lang: str) -> str:
    """What a final move will do, in words (from the rows on screen; the service decides)."""
    from hwdesk.services.scheduling import is_group
    from hwdesk.states import state_label

    def t(key: str, **values: object) -> str:
        return tr(key, lang, **values)

    if seeker is None and is_group(d.kind) and target in _ENDS:
        done = sum(1 for e in d.enrollments if e.state == SeatState.CHECKED_IN)
        absent = sum(1 for e in d.enrollments if e.state == SeatState.BOOKED)
        text = t(
            "fin.complete_group" if target == SessionState.COMPLETED else "fin.stop_group",
            id=d.id,
            done=done,
            absent=absent,
        )
    else:
        line = (
            next((e for e in d.enrollments if e.seeker_id == seeker), None)
            if seeker is not None
            else next((e for e in d.enrollments if e.state in SEAT_STATES), None)
        )
        if target in _ENDS and not is_group(d.kind):
            who = f"{line.seeker_no} {line.name}" if line else "-"
            text = t("fin.complete_one" if target == SessionState.COMPLETED else "fin.stop_one", id=d.id, who=who)
        else:
            text = t(
                "fin.seat",
                no=line.seeker_no if line else "-",
                name=line.name if line else "",
                state=state_label(target, lang),
            )
    return text + "\n" + t("fin.after")
