"""Leaving when the terminal goes away: a hang-up noticed by polling, for when no SIGHUP arrives.

``run_app`` (``screens.app``) starts the watch before the app runs in a terminal.
"""

from __future__ import annotations

import logging

from textual.app import App

log = logging.getLogger("hwdesk.screens")


def terminal_gone(fd: int = 0) -> bool:
    """Whether the terminal on ``fd`` has hung up (its SSH session or window was closed)."""
    import select

    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        events = poller.poll(0)
    except (OSError, ValueError):
        return True
    return any(ev & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, ev in events)


def watch_terminal(app: App, *, interval: float = 1.0, grace: float = 5.0, fd: int = 0) -> None:
    """Exit when the terminal goes away, even if no SIGHUP arrives.

    Behind a parent that keeps the hang-up to itself (``make run``, some SSH wrappers) the app
    was left running with a dead terminal: Textual's input thread then spins on the closed
    descriptor (a full core, measured) and the screen writer blocks. A daemon thread polls the
    terminal; on hang-up it asks the app to exit and, if the event loop is stuck, ends the
    process after ``grace`` seconds (every write is a transaction: nothing is half-written).
    """
    import os
    import sys
    import threading
    import time

    try:
        if not os.isatty(fd):
            return  # not a terminal (textual serve, pipes, tests)
    except OSError:
        return

    def watch() -> None:
        while not terminal_gone(fd):
            time.sleep(interval)
        log.warning("terminal hung up: exiting")
        try:
            from screens.textual_private import event_loop

            loop = event_loop(app)
            if loop is not None:
                loop.call_soon_threadsafe(app.exit, None, 129)
        except Exception:  # the loop may already be gone
            pass
        time.sleep(grace)
        sys.stderr.flush()
        os._exit(129)

    threading.Thread(target=watch, name="hwdesk-terminal-watch", daemon=True).start()
