"""The supervisor's audit log view (hwdesk.services.audit_view) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers import new_seeker
from sqlmodel import select

from hwdesk.clock import now_jst
from hwdesk.errors import PermissionDenied
from hwdesk.models import AuditLog
from hwdesk.services import audit_view
from hwdesk.services.audit_view import AuditFilter


def _view(store, actor, **kw):
    with store.write() as s:
        return audit_view.query(s, actor=actor, flt=AuditFilter.parse(**kw))


def test_supervisor_filters_by_action_staff_seeker_and_date(store, actors):
    clerk, sup = actors["clerk1"], actors["super1"]
    a = new_seeker(store, clerk)
    new_seeker(store, clerk)
    rows = _view(store, sup, action="seeker.")
    assert rows and all(r.action.startswith("seeker.") for r in rows)
    assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)  # newest first
    assert {r.staff_login for r in rows} == {"clerk1"}
    only = _view(store, sup, seeker_no=a.seeker_no)
    assert only and {r.seeker_no for r in only} == {a.seeker_no}
    assert {r.staff_login for r in _view(store, sup, staff_login="clerk1")} == {"clerk1"}
    assert _view(store, sup, staff_login="nobody") == []
    today = now_jst().date()
    assert _view(store, sup, action="seeker.", date_from=today.isoformat(), date_to=today.isoformat())
    tomorrow = today + timedelta(days=1)
    assert _view(store, sup, date_from=tomorrow.isoformat()) == []
    # 和暦 accepted
    assert _view(store, sup, action="seeker.", date_from="令和元年5月1日")
    # a LIKE wildcard in the action is taken literally
    assert _view(store, sup, action="seeker%") == []


def test_clerk_refused_and_views_are_audited(store, actors):
    with pytest.raises(PermissionDenied):
        _view(store, actors["clerk1"])
    rows = _view(store, actors["super1"], action="staff.")
    assert len(rows) <= audit_view.PAGE
    with store.read() as s:
        views = list(s.exec(select(AuditLog).where(AuditLog.action == "audit.view")))
        assert len(views) == 1 and '"staff."' in views[0].detail_json
        assert audit_view.chain_status(s, actor=actors["super1"]).ok
        with pytest.raises(PermissionDenied):
            audit_view.chain_status(s, actor=actors["clerk1"])


def test_bad_dates_refused():
    from hwdesk.errors import HwdeskError

    with pytest.raises((ValueError, HwdeskError)):
        AuditFilter.parse(date_from="2027-13-01")
    with pytest.raises(HwdeskError):
        AuditFilter.parse(date_from="2027-02-02", date_to="2027-02-01")
    assert AuditFilter.parse(date_from="R9.2.2").date_from == date(2027, 2, 2)


def test_filtering_by_seeker_shows_the_csv_import_that_created_them(store, actors):
    from hwdesk.services import importer

    clerk, sup = actors["clerk1"], actors["super1"]
    data = (
        "求職番号,氏名,フリガナ,生年月日,電話番号,メール,登録区分,登録日\n"
        "37010-71,山田 太郎,やまだ たろう,1985-04-01,,,窓口,2025-01-05\n"
        "37010-72,佐藤 花子,さとう はなこ,1990-03-04,,,窓口,2025-01-05\n"
    ).encode()
    with store.write() as s:
        importer.import_seekers(s, actor=clerk, data=data, office_id="takamatsu", source="list.csv")
    other = new_seeker(store, clerk)
    rows = _view(store, sup, seeker_no="37010-72")
    assert [r.action for r in rows] == ["import.seekers"] and rows[0].entity_id == "list.csv"
    assert "import.seekers" not in {r.action for r in _view(store, sup, seeker_no=other.seeker_no)}
    # other filters still apply to the import row
    assert _view(store, sup, seeker_no="37010-72", action="seeker.") == []
