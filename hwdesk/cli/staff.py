"""``hwdesk --as ADMIN staff unlock LOGIN`` and ``hwdesk --as ADMIN staff locked``: lockouts.

An account locks after repeated failed sign-ins (``hwdesk.security.LOCK_THRESHOLD``); it opens
again by itself at ``locked_until``, or at once when an admin unlocks it here (audited).
"""

from __future__ import annotations


def register(sub) -> None:
    """Add ``staff``."""
    p = sub.add_parser("staff", help="staff accounts: list locked accounts, unlock one (admin)")
    inner = p.add_subparsers(dest="staff_command", required=True)
    q = inner.add_parser("unlock", help="lift a lockout after failed sign-ins (admin; audited)")
    q.add_argument("login")
    q.set_defaults(handler=cmd_unlock)
    q = inner.add_parser("locked", help="accounts locked now, and until when (admin)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_locked)


def cmd_unlock(ctx) -> int:
    """Unlock LOGIN as the admin named by ``--as``."""
    from hwdesk.jtext.safety import safe_display
    from hwdesk.services import auth

    actor = ctx.actor()
    with ctx.store.write() as s:
        auth.unlock_account(s, actor=actor, login=ctx.args.login)
    login = safe_display(ctx.args.login)
    print(ctx.msg("cli.staff.unlocked", login=login))
    return 0


def cmd_locked(ctx) -> int:
    """List the accounts locked now."""
    from hwdesk.jtext.safety import safe_display
    from hwdesk.services import auth

    actor = ctx.actor()
    with ctx.store.read() as s:
        rows = [
            (st.login, st.failed_count, st.locked_until) for st in auth.locked_staff(s, actor=actor) if st.locked_until
        ]
    if ctx.args.json:
        ctx.out_json(
            [
                {"login": login, "failed_count": n, "locked_until": until.isoformat(timespec="seconds")}
                for login, n, until in rows
            ]
        )
        return 0
    if not rows:
        print(ctx.msg("cli.staff.no_account_locked"))
    for login, n, until in rows:
        print(f"{safe_display(login)}\t{n}\t{until.isoformat(timespec='seconds')}")
    return 0
