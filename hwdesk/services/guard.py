"""The one authorization guard: role and office, checked before a service touches personal data.

Every public service function that reads or writes personal data is decorated::

    @guard("clerk")                      # any signed-in staff member of the target's office
    def set_webcam(session, *, actor, seeker_id, confirmed): ...

    @guard("supervisor", what_ja="承認の取消し", what_en="Revoking an approval")
    def revoke_approval(session, *, actor, approval_id): ...

Before the body runs, the guard refuses (``PermissionDenied``, nothing read or written) unless
``actor`` holds the role, and then works out the office the call acts at from its arguments and
checks it with ``context.require_office``: where the act happens when an argument says so
(``office_id``; ``session_id``, ``terms_version_id``, ``approval_id``, ``termination_id`` → their
row's office: a 高松-registered seeker may consent to 渋谷's terms, recorded by 渋谷's staff),
else the seeker's registering office (``seeker_id``, ``seeker_no``, ``seeker_ids``, or a
``seeker`` row the caller already holds: the webcam, the registration kind, anonymizing, the
seeker's detail); a ``form`` always by its own ``office_id``. ``office_id=None`` with nothing
else to scope the call means "every office", which needs the all-offices grant. Staff granted
all offices, and the system actor, pass the office check.

A new argument name that identifies personal data needs a line in ``TARGETS`` and in
``ACT_TARGETS`` or ``SEEKER_TARGETS``; a new service needs only the decorator (``tests/test_sec_guard.py`` lists every public function of
``hwdesk.services`` and fails, saying what to do, for one that is neither guarded nor on its
commented allow-list).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlmodel import SQLModel

from hwdesk.errors import PermissionDenied
from hwdesk.rawsql import Prepared, RawSql
from hwdesk.services.context import ROLE_RANK, Actor, require, require_office

F = TypeVar("F", bound=Callable[..., Any])

# Argument name → the table whose row (by id) carries the office of what it names. A missing row
# gives no office: the service itself then says "not found", as it did before it was guarded.
TARGETS: dict[str, tuple[str, str]] = {
    "seeker_id": ("seeker", "id"),
    "seeker_no": ("seeker", "seeker_no"),
    "session_id": ("session", "id"),
    "approval_id": ("approval", "id"),
    "termination_id": ("termination", "id"),
    "terms_version_id": ("termsversion", "id"),
    "interpreter_id": ("interpreter", "id"),
}


@dataclass(frozen=True)
class GuardSpec:
    """What a guarded function requires (``fn.__guard__``; the guard test reads it)."""

    role: str
    what_ja: str
    what_en: str
    targets: tuple[str, ...]
    office_in_body: str = ""


def guard(
    role: str = "clerk", *, what_ja: str = "この操作", what_en: str = "This action", office_in_body: str = ""
) -> Callable[[F], F]:
    """Decorate a service: refuse unless ``actor`` has ``role`` and acts on its own office's data.

    The function must take ``actor`` as a keyword argument. ``what_ja``/``what_en`` name the
    action in the refusal message. ``office_in_body``: for a hot path that reads (and locks) the
    row naming the office as its first statement anyway (booking), the guard checks the role
    and leaves the office to ``require_office`` on that row, saying which row here; the
    guard test still proves the refusal.
    """
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorate(fn: F) -> F:
        sig = inspect.signature(fn)
        if "actor" not in sig.parameters:
            raise TypeError(f"@guard needs an 'actor' keyword argument on {fn.__module__}.{fn.__qualname__}")
        names = tuple(n for n in sig.parameters if n in TARGETS or n in ("office_id", "seeker_ids", "form", "seeker"))
        spec = GuardSpec(role, what_ja, what_en, names, office_in_body)

        @functools.wraps(fn)
        def guarded(*args, **kwargs):
            bound = sig.bind_partial(*args, **kwargs)
            actor = bound.arguments.get("actor")
            if not isinstance(actor, Actor):
                raise PermissionDenied("サインインが必要です。", "Sign in first.")
            require(actor, role, what_ja=what_ja, what_en=what_en)
            if not (actor.all_offices or actor.id == 0 or office_in_body):
                session = bound.arguments.get("session", args[0] if args else None)
                for office in _offices(session, spec.targets, bound.arguments, sig):
                    if office is None:
                        require_all_offices(actor)
                    else:
                        require_office(actor, office)
            return fn(*args, **kwargs)

        guarded.__guard__ = spec  # type: ignore[attr-defined]  # the marker tests/test_sec_guard.py reads
        return guarded  # type: ignore[return-value]  # functools.wraps keeps fn's signature

    return decorate


# Arguments naming where the act happens: a consent to 渋谷's terms, a booking in a 高松 session.
# A seeker registered at one office may use another's services, so these decide when given.
ACT_TARGETS = ("office_id", "session_id", "terms_version_id", "approval_id", "termination_id", "interpreter_id")
# Arguments naming a seeker: their registering office decides when nothing above is given
# (the webcam, the registration kind, anonymizing, the seeker's own detail).
SEEKER_TARGETS = ("seeker_id", "seeker_no", "seeker_ids")


def _offices(session, names: tuple[str, ...], arguments: dict, sig: inspect.Signature) -> list[str | None]:
    """Every office the call must belong to (None: 'every office', when nothing narrows it)."""

    def value_of(name: str):
        if name in arguments:
            return arguments[name]
        default = sig.parameters[name].default
        return None if default is inspect.Parameter.empty else default

    act: list[str] = []
    for name in ACT_TARGETS:
        value = value_of(name) if name in names else None
        if value is None:
            continue
        if name == "office_id":
            act.append(value)
        else:
            act.extend(_lookup(session, name, value))
    out: list[str | None] = list(act)
    given = any(value_of(n) is not None for n in ACT_TARGETS if n in names)
    if not given and "seeker" in names and getattr(value_of("seeker"), "office_id", None):
        out.append(value_of("seeker").office_id)  # the caller's row (read under its lock): no second read
        given = True
    if not given:
        for name in SEEKER_TARGETS:
            value = value_of(name) if name in names else None
            if value is not None:
                out.extend(_lookup(session, name, value))
                given = True
    if "form" in names:  # where a new or edited seeker is registered: always its office
        office = getattr(value_of("form"), "office_id", None)
        if office:
            out.append(office)
            given = True
    if not given and "office_id" in names:
        out.append(None)  # office_id=None and nothing else: every office
    return out


def _lookup(session, name: str, value) -> list[str]:
    """The office(s) of the rows an argument names (none when no row matches)."""
    if name == "seeker_ids":
        t = _table("seeker")
        ids = list(value)
        return [
            r[0]
            for i in range(0, len(ids), 500)
            for r in session.execute(select(t.c.office_id).distinct().where(t.c.id.in_(ids[i : i + 500])))
        ]
    if name == "seeker_no":
        value = _seeker_no(value)
    with RawSql(session) as db:  # a prepared statement on the driver's cursor: ~10 µs, not ~90 (detail load)
        row = db.one(_prepared(name), {"v": value})
    return [row[0]] if row is not None else []


_PREPARED: dict[str, Prepared] = {}


def _prepared(name: str) -> Prepared:
    stmt = _PREPARED.get(name)
    if stmt is None:
        table, column = TARGETS[name]
        t = _table(table)
        stmt = _PREPARED[name] = Prepared(select(t.c.office_id).where(t.c[column] == bindparam("v")))
    return stmt


def _seeker_no(value):
    from hwdesk.jtext.base import ParseError
    from hwdesk.jtext.numbers import parse_seeker_no

    try:
        return parse_seeker_no(value)
    except (ParseError, TypeError):
        return value  # the service words the refusal


def _table(name: str):
    import hwdesk.models  # noqa: F401  (registers the tables)

    return SQLModel.metadata.tables[name]


def is_guarded(fn: object) -> bool:
    """Whether ``fn`` went through :func:`guard`."""
    return isinstance(getattr(fn, "__guard__", None), GuardSpec)


def require_all_offices(actor: Actor) -> None:
    """Refuse unless ``actor`` may act on every office (the system actor or the grant)."""
    if not (actor.all_offices or actor.id == 0):
        raise PermissionDenied(
            "全事業所のデータは扱えません。事業所を指定してください。",
            "You cannot act on every office's data; name your office.",
        )
