"""The fence around the two modules that use library internals: ``hwdesk/sqla_private.py``
(SQLAlchemy) and ``screens/textual_private.py`` (Textual).

Each test names the internal it checks, so a new SQLAlchemy or Textual release that renames or
reshapes one fails here, with its name, instead of somewhere in a booking or a repaint. When one
fails: read the module's docstring, adapt the code to the new release (or drop the speed-up),
and update this test.
"""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, bindparam, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.util import identity_key
from sqlmodel import UTCDateTime

from hwdesk.models import Meta

_T = Table(
    "t",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("day", Date),
    Column("at", UTCDateTime),
    Column("name", String(10)),
)


def _has(obj: object, *names: str) -> None:
    missing = [n for n in names if not hasattr(obj, n)]
    assert not missing, f"{getattr(obj, '__qualname__', obj)} lost {missing}: see the private-API module's docstring"


# --- SQLAlchemy (hwdesk/sqla_private.py) ---------------------------------------------------------------


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()], ids=["sqlite", "postgresql"])
def test_sqlalchemy_compiler_internals_prepared_reads(dialect):
    stmt = select(_T.c.id, literal("x").label("lit")).where(_T.c.day == bindparam("day"), _T.c.name == "abc")
    c = stmt.compile(dialect=dialect)
    _has(c, "bind_names", "escaped_bind_names", "positiontup")
    required = {name for bp, name in c.bind_names.items() if bp.required}
    assert required == {"day"}, "bind_names: BindParameter → rendered name, required for a caller's value"
    literals = sorted(bp.effective_value for bp in c.bind_names if not bp.required)
    assert literals == ["abc", "x"], "BindParameter.effective_value: the literal's value"
    assert not c.escaped_bind_names
    if dialect.paramstyle in ("qmark", "numeric"):
        assert "day" in c.positiontup, "positiontup: the names in placeholder order"
    proc = _T.c.at.type.dialect_impl(dialect).bind_processor(dialect)
    aware = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert proc is None or proc(aware) is not None
    assert _T.c.day.type.dialect_impl(dialect).result_processor(dialect, None) is None or dialect.name == "sqlite"


def test_prepared_compiles_and_binds_on_both_dialects():
    from hwdesk.sqla_private import Prepared

    stmt = Prepared(insert(_T).values(day=bindparam("day"), name="fixed").returning(_T.c.id))
    for dialect in (sqlite.dialect(), postgresql.psycopg.dialect()):
        plan = stmt.plan(dialect)
        bound = plan.bind({"day": date(2026, 1, 2)})
        values = list(bound.values()) if isinstance(bound, dict) else list(bound)
        assert "fixed" in values, dialect.name
        assert plan.read([(7,)])[0].id == 7


def test_sqlalchemy_orm_internals_loaded_uses():
    mapper = Meta.__mapper__
    _has(Meta, "_sa_class_manager")
    _has(Meta._sa_class_manager, "new_instance")
    assert isinstance(Meta._sa_class_manager.new_instance(), Meta)
    key = identity_key(Meta, "x")
    assert key == (Meta, ("x",), None), "the identity key's layout: (class, primary key tuple, token)"
    assert [c.key for c in mapper.primary_key] == ["key"]


# --- Textual (screens/textual_private.py) ----------------------------------------------------------------


def test_textual_repaint_timer_internals_frame_pacer_uses():
    from textual import _time
    from textual.message_pump import MessagePump
    from textual.screen import UPDATE_PERIOD, Screen
    from textual.timer import Timer

    assert isinstance(Screen.__dict__.get("_update_timer"), property), "Screen._update_timer is a property"
    _has(Screen, "_on_timer_update")
    assert isinstance(UPDATE_PERIOD, float)
    _has(Timer, "_run", "_tick", "_start")
    assert {"next_timer", "count"} <= set(inspect.signature(Timer._tick).parameters)
    source = inspect.getsource(Timer)
    for name in ("self._active", "self._interval", "self._reset"):
        assert name in source, f"Timer lost {name}"
    _has(_time, "get_time", "sleep")
    assert "self._timers" in inspect.getsource(MessagePump.__init__), "a node's timers, stopped with it"


def test_textual_node_internals_bindings_loop_watchers():
    from textual import reactive
    from textual.app import App
    from textual.binding import BindingsMap
    from textual.dom import DOMNode
    from textual.message_pump import MessagePump

    assert "self._bindings" in inspect.getsource(DOMNode.__init__), "DOMNode._bindings"
    assert "self.key_to_bindings" in inspect.getsource(BindingsMap.__init__), "BindingsMap.key_to_bindings"
    assert "self._loop" in inspect.getsource(App.__init__), "App._loop"
    assert '"__watchers"' in inspect.getsource(reactive), "reactive keeps a node's watchers in '__watchers'"
    pump = inspect.getsource(MessagePump.__init__)
    assert "self._closing" in pump and "self._closed" in pump, "MessagePump._closing/_closed"


def test_textual_command_palette_internals_the_guards_patch():
    from textual.command import CommandPalette
    from textual.widgets import OptionList
    from textual.widgets._footer import FooterKey

    import screens.commands  # noqa: F401 - installs the guards

    assert getattr(OptionList._move_page, "_hwdesk_guarded", False), "OptionList._move_page is patched"
    assert getattr(CommandPalette._watch__list_visible, "_hwdesk_guarded", False)
    for name in ("_start_no_matches_countdown", "_start_busy_countdown", "_watch__show_busy"):
        assert getattr(getattr(CommandPalette, name), "_hwdesk_guarded", False), f"CommandPalette.{name} is patched"
    palette = inspect.getsource(CommandPalette)
    for name in ("_start_no_matches_countdown", "_start_busy_countdown", "_show_busy"):
        assert f"def {name}" in palette or f"{name} =" in palette, f"CommandPalette.{name}"
    assert "_index_to_line" in inspect.getsource(OptionList)
    assert FooterKey.__name__ == "FooterKey"
