"""The speed-ups that lean on SQLAlchemy's internals, gathered here and fenced by a test.

SQLAlchemy's per-statement cost (~40–60 µs: execution context, parameter processing, result
set-up) was most of a booking against ~0.4 ms of SQL, and building an ORM object through its
constructor and a flush ~100 µs. Two shortcuts remove that on the hot paths (booking, the audit
chain, the daily queue):

- ``Prepared``: a Core statement compiled once per dialect, with a bind and a read function
  generated for it (run on ``rawsql.RawSql``'s DBAPI cursor).
- ``loaded``: an ORM object for a row written or read with Core, as if the session had loaded it.

What they use that is not SQLAlchemy's documented API (``tests/test_private_apis.py`` checks each
against the installed release and fails naming the one that changed):

- ``SQLCompiler.bind_names``, ``.escaped_bind_names``, ``.positiontup``;
- ``BindParameter.required`` and ``.effective_value``;
- ``TypeEngine.dialect_impl(dialect).bind_processor`` / ``.result_processor`` (public, but the
  values they return are the engine's own conversions);
- ``Mapper``'s ``_sa_class_manager.new_instance()`` and the identity key's tuple layout
  ``(class, primary key tuple, identity token)``.
"""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as time_of_day
from typing import Any, NamedTuple

from sqlalchemy.orm import attributes, configure_mappers, make_transient_to_detached
from sqlmodel import Session

__all__ = ["Prepared", "loaded"]


class _Plan(NamedTuple):
    """A statement compiled for one dialect: its SQL, and functions made for it that bind a dict of
    values (a tuple in placeholder order, or a dict by name) and read rows (named tuples; None
    for a statement that returns none)."""

    sql: str
    bind: Any
    read: Any


def _make_function(name: str, lines: list[str], env: dict) -> Any:
    """Compile a small function from generated lines (names in it are repr()s or ``env``'s)."""
    exec(compile("\n".join(lines), f"<prepared {name}>", "exec"), env)
    return env[name]


def _binder(literals: dict, keys: list, order: tuple | None) -> Any:
    # Generated once per statement: binding is on every execution, and a loop over ~50 slots
    # with a processor call per slot cost ~20 µs for booking's read against ~2 µs for this.
    env: dict = {}
    lines = ["def bind(p):"]
    var = {}
    for i, (name, proc) in enumerate(keys):
        var[name] = f"v{i}"
        lines.append(f"    v{i} = p[{name!r}]")
        if proc is not None:
            env[f"f{i}"] = proc
            lines.append(f"    if v{i} is not None: v{i} = f{i}(v{i})")
    for j, (name, value) in enumerate(literals.items()):
        env[f"l{j}"] = value
        var[name] = f"l{j}"
    if order is None:
        lines.append("    return {" + ", ".join(f"{n!r}: {v}" for n, v in var.items()) + "}")
    else:
        lines.append("    return (" + "".join(f"{var[n]}, " for n in order) + ")")
    return _make_function("bind", lines, env)


def _reader(row: Any, procs: list, memo: list[bool]) -> Any:
    # Dates and times repeat down a result (a day's sessions start on a few slots): each distinct
    # stored value is converted once per read (~6 µs a conversion, felt in the daily queue).
    # Only immutable types are shared that way.
    env: dict = {"make": row._make}
    cells, caches = [], []
    for i, proc in enumerate(procs):
        if proc is None:
            cells.append(f"r[{i}]")
        elif memo[i]:
            env[f"f{i}"] = proc
            caches.append(f"    c{i} = {{}}")
            cells.append(
                f"(None if r[{i}] is None else c{i}[r[{i}]] if r[{i}] in c{i} else c{i}.setdefault(r[{i}], f{i}(r[{i}])))"
            )
        else:
            env[f"f{i}"] = proc
            cells.append(f"(None if r[{i}] is None else f{i}(r[{i}]))")
    lines = ["def read(rows):", *caches, "    return [make((" + "".join(c + ", " for c in cells) + ")) for r in rows]"]
    return _make_function("read", lines, env)


def _immutable(column) -> bool:
    """Whether a column's Python values are dates or times (safe to share between rows)."""
    kind = getattr(column.type, "impl_instance", column.type)  # a TypeDecorator (UTCDateTime): what it stores
    try:
        return issubclass(kind.python_type, (date, datetime, time_of_day))
    except NotImplementedError:
        return False


class Prepared:
    """A SQLAlchemy Core statement compiled once per dialect and run on ``RawSql``'s DBAPI cursor.

    For write paths made of many small statements (booking, the audit chain): SQLAlchemy's
    per-execution cost (~40–60 µs: execution context, parameter processing, result set-up) was
    most of a booking against ~0.4 ms of SQL. The statement is still written with Core,
    so its SQL is the one SQLAlchemy renders for the dialect (locks, casts, RETURNING); values
    go through each column type's bind processor and rows through its result processor, so
    dates, aware UTC datetimes and booleans come and go as through the ORM. Parameters are the
    ``bindparam`` names, given as a dict; literals in the statement are bound as compiled.
    """

    def __init__(self, stmt) -> None:
        self.stmt = stmt
        self._plans: dict[str, _Plan] = {}

    def plan(self, dialect) -> _Plan:
        """The compiled form for ``dialect`` (built on first use)."""
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect) -> _Plan:
        from collections import namedtuple

        c = self.stmt.compile(dialect=dialect)
        sql = str(c)
        if "POSTCOMPILE" in sql or c.escaped_bind_names:
            raise ValueError("Prepared statements take plain bind parameters (no expanding IN, no escaped names)")
        literals, keys = {}, {}
        for bp, name in c.bind_names.items():
            proc = bp.type.dialect_impl(dialect).bind_processor(dialect)
            if bp.required:  # a value the caller gives: by the bindparam's name, which is what SQL names it
                if name != bp.key:
                    raise ValueError(f"bind parameter {bp.key!r} is rendered as {name!r}: give it a plain name")
                keys[name] = proc
            else:
                value = bp.effective_value
                literals[name] = proc(value) if proc is not None and value is not None else value
        order = tuple(c.positiontup or ()) if dialect.paramstyle in ("qmark", "numeric") else None
        cols = tuple(getattr(self.stmt, "exported_columns", ()) or ())
        names = tuple(col.key for col in cols)
        procs = [col.type.dialect_impl(dialect).result_processor(dialect, None) for col in cols]
        read = _reader(namedtuple("Row", names), procs, [_immutable(col) for col in cols]) if names else None
        return _Plan(sql, _binder(literals, list(keys.items()), order), read)


def loaded(session: Session, model, values: dict, *, attach: bool = True):
    """An ORM object for a row read or inserted with a Core statement, as if loaded: persistent in
    ``session`` (or, ``attach=False``, detached with its identity) with ``values`` (every column) as
    its committed state, without SQL (~15 µs against ~100 µs for the model's constructor and a
    unit-of-work flush). An object of that identity the session already holds (flushed: no
    pending changes) is refreshed with ``values`` instead."""
    mapper = model.__mapper__
    if not mapper.configured:  # identity keys need configured mappers
        configure_mappers()
    key = (
        model,
        tuple(values[c.key] for c in mapper.primary_key),
        None,
    )  # as identity_key(model, …), without its checks
    held = session.identity_map.get(key)
    if held is not None:
        for k, v in values.items():
            attributes.set_committed_value(held, k, v)
        return held
    obj = model._sa_class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    if attach:
        session.add(obj)
    return obj
