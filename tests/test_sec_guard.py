"""Finding 4 of issue 21: authorization everywhere, through one guard (hwdesk/services/guard.py).

``test_every_public_service_function_is_guarded_or_allowed`` lists every public function of every
module in ``hwdesk.services`` (by introspection: a service added tomorrow is covered without
touching this file) and fails for one that is neither decorated with ``@guard`` nor on the
commented allow-list below. ``test_guarded_functions_refuse_another_offices_staff`` then calls
every guarded function as staff of another office (a clerk, and a supervisor and an admin without
the all-offices grant) on a 前橋 seeker, session, approval, termination and terms version, and
expects a refusal with nothing written; the same call by 前橋's own staff passes the guard.
The findings' own reproductions (a 高松 clerk's notice, webcam, environment check, registration
switch and approval revocation on 前橋's data; ``anonymize`` without a role) follow.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

import hwdesk.services
from hwdesk.clock import JST, today_jst
from hwdesk.errors import PermissionDenied
from hwdesk.models import Approval, AuditLog, Interpreter, Seeker, Termination, TermsVersion
from hwdesk.models import Session as SessionRow
from hwdesk.services import consent, seeker_search, seekers
from hwdesk.services.context import Actor
from hwdesk.services.guard import TARGETS, is_guarded

# Public functions that need no guard, each with the reason. Keep this list short and honest:
# a function that reads or writes a seeker's, a session's or a staff member's data belongs here
# only when it is a building block that a guarded service calls after its own guard (marked
# INTERNAL), or when it decides who the actor is (sign-in).
NON_PERSONAL = "no personal data: office profiles, terms, calendars, pure functions"
INTERNAL = "INTERNAL building block: called by guarded services with an already-checked target"
AUTH = "authentication itself: decides who the actor is"
ALLOWED: dict[str, str] = {
    # auth: sign-in and the staff directory
    "auth.staff_count": "a count of accounts (first-run screen), no names",
    "auth.create_staff": "role checked inside: the very first account is created without an actor (first run)",
    "auth.sign_in": AUTH,
    "auth.verify_unlock": AUTH + " (the actor's own password, throttled)",
    "auth.get_staff": INTERNAL + " (staff lookups by login for the CLI's --staff options)",
    "auth.list_staff": "staff names and logins of an office (the schedule screens' staff choice), no seeker data",
    # calendar: closures and holidays are office facts
    **{
        f"calendar.{n}": NON_PERSONAL
        for n in (
            "holiday_name",
            "holiday_data_official",
            "holiday_warning",
            "closed_reason",
            "closed_days",
            "is_open",
            "next_open_day",
            "opening_hours",
            "day_bounds",
            "check_slot",
            "list_closures",
        )
    },
    # consent: per-seeker building blocks of the detail, eligibility and booking services
    **{
        f"consent.{n}": INTERNAL
        for n in (
            "consent_status",
            "consent_statuses",
            "consents_of",
            "notices_of",
            "companions_of",
            "latest_env_checks",
            "latest_env_check",
            "approvals_of",
        )
    },
    "consent.needs_notice": NON_PERSONAL,
    "consent.standing": NON_PERSONAL + " (computes a standing from rows it is given)",
    "consent.env_items": NON_PERSONAL,
    "consent.recognizers": "names of an office's staff who may recognize a need (approval form), no seeker data",
    # demo data
    "demo.is_demo": NON_PERSONAL,
    "demo.demo_accounts": NON_PERSONAL + " (the demo's published accounts)",
    "demo.build_demo": "writes made-up people into an empty database (hwdesk demo), acting as SYSTEM",
    "demo.has_data": "whether any seeker exists (a boolean)",
    # eligibility: the one rule evaluator, called by guarded booking/readiness and the CLI after get_by_number
    **{f"eligibility.{n}": INTERNAL for n in ("facts", "from_row", "check", "active_termination")},
    "eligibility.facts_stmt": NON_PERSONAL,
    "eligibility.evaluate": NON_PERSONAL,
    "eligibility.failures": NON_PERSONAL,
    "exports.encode_text": NON_PERSONAL,
    "handouts.instructions": NON_PERSONAL,
    "handouts.calendar_event": NON_PERSONAL + " (a session as an event, no seeker)",
    "handouts.send_to_printer": "prints a file already written by the guarded handouts.write",
    "importer.decode": NON_PERSONAL,
    "importer.id_runs": NON_PERSONAL,
    "importer.imported_ids": NON_PERSONAL,
    **{
        f"import_rows.{n}": INTERNAL + " (checks the rows of a file the guarded importer.import_stream reads)"
        for n in ("same_number", "same_person", "decide", "validate_chunk", "validated")
    },
    **{
        f"offices.{n}": NON_PERSONAL
        for n in (
            "sync_offices",
            "offices_synced",
            "profile",
            "parse_profile",
            "list_offices",
            "terms_versions",
            "terms_in_force",
            "version_in_force",
            "document",
        )
    },
    "queue.filter_view": NON_PERSONAL + " (filters a view a guarded service returned)",
    "queue.row_json": NON_PERSONAL + " (formats a row a guarded service returned)",
    "records.office_key": INTERNAL + " (the office's pseudonym key)",
    "records.pseudonym": NON_PERSONAL,
    **{
        f"reports.{n}": NON_PERSONAL + " (figures with small cells suppressed)"
        for n in (
            "device_class",
            "os_family",
            "period_report",
            "daily_report",
            "month_bounds",
            "parse_month",
            "monthly_report",
            "report_rows",
        )
    },
    **{
        f"terms_diff.{n}": NON_PERSONAL
        for n in ("word_diff", "diff_versions", "render_changes", "version_by_number", "diff_stored")
    },
    "scheduling.is_group": NON_PERSONAL,
    "scheduling.occurrences": NON_PERSONAL,
    **{
        f"scheduling.{n}": INTERNAL
        for n in (
            "lock_session",
            "lock_staff",
            "lock_seeker",
            "get_session",
            "staff_conflict",
            "seeker_conflict",
            "rescheduled_to",
            "allowed_moves",
        )
    },
    **{
        f"seekers.{n}": NON_PERSONAL
        for n in (
            "validate_field",
            "validate_form",
            "validate_values",
            "form_from_seeker",
            "form_dict",
        )
    },
    "seekers.find_by_number": INTERNAL + " (usage records: the guarded record service checks the session's office)",
    "seekers.get_seeker": INTERNAL + " (by id; the screens reach an id only through the guarded search/detail)",
    "seekers.find_duplicates": INTERNAL + " (create_seeker/update_seeker's duplicate check)",
    "terminations.ground_cite": NON_PERSONAL,
    "terminations.available_grounds": NON_PERSONAL,
    "terminations.ground_label": NON_PERSONAL,
    "eligibility.stop_in_force": NON_PERSONAL + " (picks from stop rows the caller read)",
    **{
        f"csvstream.{n}": NON_PERSONAL + " (reading the CSV file)"
        for n in ("scan", "unreadable", "chunks", "chunk_size", "release_memory")
    },
    **{f"import_pg.{n}": INTERNAL + " (the guarded import's PostgreSQL probes and COPY)" for n in ("lookup_existing",)},
    "eligibility.stop_covers": NON_PERSONAL + " (a stop's scope and date against a day)",
    "offers.deadline": NON_PERSONAL + " (the office's reply deadline for a start time)",
    "offers.due": "whether any offer is past its deadline (a boolean)",
    "offers.format_until": NON_PERSONAL,
    "offers.expire_due": "the system moves offers past their deadline on (audited as SYSTEM); called on reads, returns ids",
    "offers.settle": "offers.expire_due in a transaction of its own, as the system",
    "queue.reminder_call": NON_PERSONAL + " (a row a guarded service returned)",
    "queue.reminder_call_text": NON_PERSONAL + " (a row a guarded service returned)",
    **{f"timing.{n}": NON_PERSONAL + " (the clock)" for n in ("booking_gate", "refuse_past")},
    "terminations.stops": INTERNAL + " (the guarded queue, week, reminders and handouts read the stops of their rows)",
    "terminations.stop_on": NON_PERSONAL + " (picks from stops the caller read)",
    "seekers.registration_kind_error": NON_PERSONAL,
    "seekers.given_key": NON_PERSONAL + " (the search key of a reading given to it)",
    **{
        f"registration.{n}": NON_PERSONAL + " (date arithmetic)"
        for n in ("month_end", "initial_end", "registration_end", "needs_events")
    },
    **{f"registration.{n}": INTERNAL for n in ("events", "end_of", "renewals_of")},
    "offices.revision_grounds": NON_PERSONAL,
    "offices.check_revision_ground": NON_PERSONAL,
    "reports.legend": NON_PERSONAL,
    "reports.supervisor_figures": INTERNAL
    + " (the report export's supervisor figures: through the guarded figures.manager_figures, None for a clerk)",
    "usage_entry.parse_moment": NON_PERSONAL,
    "followup.followup_minutes": NON_PERSONAL + " (the office's follow-up setting)",
    "figures.interpreter_needs_by_language": INTERNAL + " (the guarded manager_figures' interpreter table)",
    "figures.interpreter_coverage": INTERNAL + " (the guarded manager_figures' interpreter coverage table)",
    "figures.figures_lines": NON_PERSONAL + " (formats figures a guarded service returned)",
    "usage_entry.usage_article": NON_PERSONAL,
    # notices (issue 20): the channel is an office setting; the hooks queue rows for events a guarded
    # service has just performed on its own (already checked) session and seekers
    "notices.channel": NON_PERSONAL + " (the office's notice channel, no password)",
    **{
        f"notices.{n}": INTERNAL + " (queues notices for an event the guarded booking/cancel/move/offer/revision made)"
        for n in ("on_booked", "on_offered", "on_cancelled", "session_cancelled", "on_rescheduled", "on_revision")
    },
    "notices.build_notice": INTERNAL + " (builds one notice inside the guarded outbox.send_due)",
    "outbox.mail_message": INTERNAL + " (the mail of a notice the guarded send_due built)",
    # interpreters: the roster's pure parts, and the building blocks of the guarded queue and booking check
    **{
        f"interpreters.{n}": NON_PERSONAL
        for n in ("language_key", "parse_weekdays", "weekdays_text", "cover", "languages_of")
    },
    "interpreters.needs": INTERNAL + " (a seeker's interpreter languages, for the guarded booking_check)",
    "interpreters.lines_between": INTERNAL + " (roster lines for the guarded booking check, queue and week)",
    **{f"interpreting.{n}": NON_PERSONAL for n in ("uncovered_text", "covers_json")},
    "interpreting.companion_text": NON_PERSONAL + " (formats a row a guarded service returned)",
    "interpreting.mark_rows": INTERNAL + " (the guarded queue and week views mark their own rows)",
    # the guard and the actor themselves
    "context.require": "the role check the guard applies",
    "context.require_office": "the office check the guard applies",
    "context.staff_id": NON_PERSONAL,
    "context.office_names": NON_PERSONAL + " (an office's names, for a refusal)",
    "guard.guard": "the guard",
    "guard.is_guarded": "the guard",
    "guard.require_all_offices": "the guard",
}
# Guarded functions that check the role only (nothing in their arguments names an office).
ROLE_ONLY = {
    "handouts.write": "writes a HandoutJob that the office-guarded for_session/for_day built",
    "handouts.write_ics": "writes the calendar events of a HandoutJob that the office-guarded for_session/for_day built",
    "handouts.record_sent": "audits the printing of a HandoutJob that the office-guarded for_session/for_day built",
    "audit_view.query": "supervisor role; the audit log is the office server's own record",
    "audit_view.chain_status": "supervisor role; verifies the whole chain",
    "auth.unlock_account": "admin role; accounts are unlocked by login",
    "auth.locked_staff": "admin role; lists locked accounts by login",
    "usage_entry.add_entry": "the guarded records.add_usage_record checks the office of the session it names",
}


def service_functions() -> dict[str, object]:
    """Every public function defined in a module of hwdesk.services, as 'module.name' (a package's
    functions, defined in its submodules, by the name the package exports them under)."""
    out = {}
    for info in pkgutil.iter_modules(hwdesk.services.__path__):
        mod = importlib.import_module(f"hwdesk.services.{info.name}")
        for name, fn in vars(mod).items():
            # Any callable defined here but a class: plain functions, lru_cache'd ones, partials.
            where = getattr(fn, "__module__", None) or ""
            if (
                name.startswith("_")
                or inspect.isclass(fn)
                or not callable(fn)
                or not (where == mod.__name__ or (info.ispkg and where.startswith(mod.__name__ + ".")))
            ):
                continue
            out[f"{info.name}.{name}"] = fn
    return out


def test_every_public_service_function_is_guarded_or_allowed():
    bare = [n for n, fn in service_functions().items() if not is_guarded(fn) and n not in ALLOWED]
    assert not bare, (
        f"These service functions are neither guarded nor allowed: {bare}.\n"
        "If a function reads or writes personal data (a seeker, a session, a staff member's actions), decorate it:\n"
        "    from hwdesk.services.guard import guard\n"
        '    @guard("clerk")   # or "supervisor"/"admin"; it must take actor=… as a keyword\n'
        "and give it an argument the guard knows (office_id, seeker_id, session_id, approval_id, termination_id,\n"
        "terms_version_id, seeker_no, seeker_ids, form) or add one to guard.TARGETS.\n"
        "If it touches no personal data, add it to ALLOWED in tests/test_sec_guard.py with the reason."
    )
    stale = [n for n in ALLOWED if n not in service_functions()]
    assert not stale, f"ALLOWED names functions that no longer exist: {stale}"


def test_guarded_functions_name_their_target_or_are_role_only():
    for name, fn in service_functions().items():
        if is_guarded(fn) and not fn.__guard__.targets:
            assert name in ROLE_ONLY, (
                f"{name} is guarded but none of its arguments names an office, so any {fn.__guard__.role} passes: "
                "give it an office-identifying argument (see guard.TARGETS) or list it in ROLE_ONLY with the reason"
            )


@pytest.fixture
def maebashi(store, actors):
    """A 前橋 seeker with consent, checks, an approval, a session booked and a termination."""
    mae, sup = actors["clerk1_mae"], actors["super1_mae"]
    sk = new_seeker(store, mae, office_id="maebashi", name="前橋 花子", kana="マエバシ ハナコ", registration="online")
    make_ready(store, mae, sk.id, "maebashi")
    start = datetime.combine(today_jst() + timedelta(days=14), datetime.min.time(), tzinfo=JST).replace(hour=10)
    with store.write() as s:
        # Rows written directly: the guard test needs 前橋's ids, not a bookable session.
        row = SessionRow(
            office_id="maebashi",
            kind="seminar",
            title="前橋 セミナー",
            start_at=start,
            end_at=start + timedelta(hours=1),
            staff_id=mae.id,
            capacity=10,
            passcode="x1",
        )
        appr = Approval(
            seeker_id=sk.id,
            office_id="maebashi",
            service="counseling",
            recognized_by=sup.id,
            recognized_on=today_jst(),
        )
        term = Termination(
            seeker_id=sk.id,
            office_id="maebashi",
            ground="other",
            cite="第8条",
            narrative="test",
            scope="suspended",
            decided_by=sup.id,
        )
        line = Interpreter(
            office_id="maebashi",
            mode="in_person",
            name="前橋 通訳",
            language="英語",
            language_key="en",
            weekdays="12345",
            start_time="09:00",
            end_time="12:00",
            valid_from=today_jst(),
        )
        s.add_all([row, appr, term, line])
        s.flush()
        sess_id = row.id
        tv = s.exec(select(TermsVersion).where(TermsVersion.office_id == "maebashi")).first()
        return {
            "seeker_id": sk.id,
            "seeker_no": sk.seeker_no,
            "session_id": sess_id,
            "approval_id": appr.id,
            "termination_id": term.id,
            "terms_version_id": tv.id,
            "interpreter_id": line.id,
            "office_id": "maebashi",
            "seeker_ids": [sk.id],
            "form": seekers.SeekerForm(
                seeker_no="37010-987654",
                name="前橋 次郎",
                name_kana="マエバシ ジロウ",
                birth_date="1980-01-01",
                office_id="maebashi",
                registration_kind="office",
            ),
        }


# Functions that take one target or the other, not both.
ONE_TARGET = {"view_usage_records": "session_id", "list_for": "session_id"}


def _call(store, fn, actor: Actor, targets: dict):
    params = inspect.signature(fn).parameters
    kwargs = {k: v for k, v in targets.items() if k in params}
    if fn.__name__ in ONE_TARGET:
        kwargs = {k: v for k, v in kwargs.items() if k == ONE_TARGET[fn.__name__]}
    if "query" in params:
        kwargs["query"] = "前橋"
    with store.write() as s:
        return fn(s, actor=actor, **kwargs)


def _audit_len(store) -> int:
    with store.read() as s:
        return len(s.exec(select(AuditLog.id)).all())


def test_guarded_functions_refuse_another_offices_staff(store, actors, maebashi):
    guarded = {n: fn for n, fn in service_functions().items() if is_guarded(fn) and fn.__guard__.targets}
    assert len(guarded) > 40
    before = _audit_len(store)
    let_through = []
    for name, fn in guarded.items():
        for login in ("clerk1", "super1", "admin1"):  # 高松's staff, no all-offices grant
            try:
                _call(store, fn, actors[login], maebashi)
            except PermissionDenied:
                continue
            let_through.append(f"{name} as {login}")
    assert not let_through, f"not refused for 高松's staff on 前橋's data: {let_through}"
    assert _audit_len(store) == before  # a refusal writes nothing


def test_the_offices_own_staff_pass_the_guard(store, actors, maebashi):
    """The control: the same calls by 前橋's staff of the required role are not refused by the guard."""
    for name, fn in service_functions().items():
        if not (is_guarded(fn) and fn.__guard__.targets):
            continue
        login = {"clerk": "clerk1_mae", "supervisor": "super1_mae", "admin": "admin1_mae"}[fn.__guard__.role]
        try:
            _call(store, fn, actors[login], maebashi)
        except PermissionDenied as exc:
            pytest.fail(f"{name} refused 前橋's own {login}: {exc.message('en')}")
        except Exception:  # noqa: BLE001 - the guard let it through; the body may refuse the test's bare arguments
            pass


def test_every_office_identifying_argument_is_known():
    assert set(TARGETS) >= {"seeker_id", "session_id", "approval_id", "termination_id", "terms_version_id", "seeker_no"}


# --- the findings' own reproductions, with real arguments --------------------------------------


def test_takamatsu_clerk_cannot_touch_a_maebashi_seeker(store, actors, maebashi):
    clerk = actors["clerk1"]
    sid = maebashi["seeker_id"]
    before = _audit_len(store)
    calls = [
        lambda s: consent.record_terms_notice(
            s, actor=clerk, seeker_id=sid, terms_version_id=maebashi["terms_version_id"], method="counter"
        ),
        lambda s: seekers.set_webcam(s, actor=clerk, seeker_id=sid, confirmed=False),
        lambda s: consent.record_env_check(
            s,
            actor=clerk,
            seeker_id=sid,
            office_id="maebashi",
            answers={i.key: True for i in consent.env_items(s, "maebashi")},
        ),
        lambda s: seekers.switch_to_office_registration(s, actor=clerk, seeker_id=sid),
        lambda s: consent.revoke_approval(s, actor=actors["super1"], approval_id=maebashi["approval_id"]),
        lambda s: seekers.anonymize(s, actor=actors["super1"], seeker_id=sid),
        lambda s: seeker_search.search(s, "前橋", actor=clerk, office_id="maebashi"),
        lambda s: seeker_search.search(s, "前橋", actor=clerk),  # every office
    ]
    for call in calls:
        with pytest.raises(PermissionDenied), store.write() as s:
            call(s)
    assert _audit_len(store) == before
    with store.read() as s:
        sk = s.get(Seeker, sid)
        assert sk.registration_kind == "online" and sk.webcam_confirmed and sk.name == "前橋 花子"
        assert s.get(Approval, maebashi["approval_id"]).revoked_at is None


def test_anonymize_needs_a_supervisor_of_the_office(store, actors, maebashi):
    with pytest.raises(PermissionDenied), store.write() as s:
        seekers.anonymize(s, actor=actors["clerk1_mae"], seeker_id=maebashi["seeker_id"])
    with store.write() as s:
        seekers.anonymize(s, actor=actors["super1_mae"], seeker_id=maebashi["seeker_id"])
    with store.read() as s:
        assert s.get(Seeker, maebashi["seeker_id"]).seeker_no.startswith("ANON-")


def test_cli_notice_by_a_takamatsu_clerk_on_a_maebashi_seeker_is_refused(
    store, actors, maebashi, db_url, monkeypatch, capsys
):
    from hwdesk.cli import main

    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")
    before = _audit_len(store)
    with store.read() as s:
        version = s.get(TermsVersion, maebashi["terms_version_id"]).version
    rc = main(
        [
            "--db",
            db_url,
            "--lang",
            "en",
            "--as",
            "clerk1",
            "notice",
            maebashi["seeker_no"],
            "--office",
            "maebashi",
            "--version",
            str(version),
            "--method",
            "counter",
        ]
    )
    assert rc == 2
    assert "another office" in capsys.readouterr().err
    with store.read() as s:
        assert not [a for a in s.exec(select(AuditLog).where(AuditLog.id > before)) if a.action == "terms.notice"]


# --- the screens and the CLI reach personal data only through guarded services -----------------

# INTERNAL building blocks the screens or the CLI may still call, each after a guarded call that
# reached the same seeker or session.
ENTRY_EXCEPTIONS = {
    "allowed_moves": "session_detail screen: the state moves of a session it just read through guarded session_detail",
    "consent_status": "terms viewer: the standing of a seeker it just read through guarded seeker_of",
    "check": "eligibility (CLI after guarded get_by_number; the detail screen's readiness after guarded seeker_detail)",
    "find_duplicates": "the seeker form's 'same person?' warning, across offices by design (職業安定法: one registration)",
    "get_staff": "--staff LOGIN options of the CLI: a staff id, no seeker data",
    "end_of": "registration's end date, for a seeker just read through guarded get_by_number / seeker_of",
    "renewals_of": "registration renewals, for a seeker just read through guarded get_by_number",
}


def test_screens_and_cli_call_no_unguarded_building_block():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    internal = {n.split(".", 1)[1] for n, why in ALLOWED.items() if why.startswith(INTERNAL)}
    found = []
    for path in [*sorted((root / "screens").glob("*.py")), *sorted((root / "hwdesk" / "cli").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
                if name in internal and name not in ENTRY_EXCEPTIONS:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    assert not found, (
        f"screens/CLI call unguarded building blocks: {found}. Call a guarded service instead "
        "(e.g. seekers.seeker_of for one seeker), or add the name to ENTRY_EXCEPTIONS with the reason."
    )
