"""The terms viewer's dates and signature, and the revision label, as the offices' texts put them (Pilot)."""

from __future__ import annotations

import json

import pytest
from helpers.ui import add_seeker, add_supervisor, make_app, plain, settle, sign_in
from sqlmodel import select

from hwdesk.clock import today_jst
from hwdesk.db import open_store
from hwdesk.services import consent
from hwdesk.services.context import SYSTEM
from hwdesk.services.offices import add_terms_version
from hwdesk.terms import shipped_terms

HEADS = {
    # 高松: 策定 and 改訂 as written (the 改訂 date is not a 施行 date), 前橋: a bare date, 渋谷: its 附則
    "takamatsu": ("令和3年3月1日策定", "令和5年12月18日改訂", "高松公共職業安定所長"),
    "maebashi": ("令和４年４月２０日", "前橋公共職業安定所長"),
    "shibuya": ("本規約は令和４年５月１日より施行するものとする。", "渋谷公共職業安定所長"),
}


@pytest.mark.parametrize("office", sorted(HEADS))
async def test_viewer_shows_dates_and_the_director_as_the_text_does(db, office):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        app.open_terms(office, None)
        await settle(pilot)
        head = plain(app.screen.query_one("#terms-head"))
        for part in HEADS[office]:
            assert part in head, (part, head)
        if office == "takamatsu":
            assert "施行" not in head
        if office == "maebashi":
            assert "策定" not in head and "施行" not in head


async def test_viewer_in_english_labels_each_date_by_its_kind(db):
    app = make_app(db, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        app.open_terms("takamatsu", None)
        await settle(pilot)
        head = plain(app.screen.query_one("#terms-head"))
        assert "established 2021-03-01" in head and "revised 2023-12-18" in head and "in force" not in head


async def test_a_revision_reads_as_a_notice_owed_not_a_new_consent(db):
    sid = add_seeker(db, no="37010-5", name="改訂 一郎", kana="カイテイ イチロウ")
    store = open_store(db)
    add_supervisor(store)
    with store.write() as s:
        consent.record_consent(s, actor=SYSTEM, seeker_id=sid, office_id="takamatsu")
    raw = dict(shipped_terms()["takamatsu"][-1].raw, version=3)
    with store.write() as s:
        from hwdesk.models import Staff
        from hwdesk.services.context import Actor

        boss = Actor.of(s.exec(select(Staff).where(Staff.login == "super1")).one())
        add_terms_version(
            s,
            actor=boss,
            office_id="takamatsu",
            text=json.dumps(raw, ensure_ascii=False),
            effective_on=today_jst(),
            reason="第13条(1)",
            ground="user_benefit",
        )
    store.dispose()
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        app.open_seeker(sid)
        await settle(pilot)
        text = plain(app.screen.query_one("#b-consent"))
        assert "改訂の告知未了（第13条）" in text and "再同意" not in text
        app.open_terms("takamatsu", sid)
        await settle(pilot)
        head = plain(app.screen.query_one("#terms-head"))
        assert "改訂の告知未了（第13条）" in head and "再同意" not in head
