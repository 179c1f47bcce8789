"""The one catalogue of user-visible text, in Japanese and English, keyed by message id.

Screens, CLI and domain modules name a message by its id and ask for it in a language:
``tr("search.count", "en", n=3)``. Ids are short dotted names grouped by area (``k.*`` key
descriptions, ``cli.*`` the command line, ``audit.*`` the audit log …); each area's messages live in
a module of this package and are merged into ``CATALOGUE`` here. ``{name}`` placeholders are filled
with ``str.format``; the result is plain text (screens show it literally, never as markup).

A missing id shows the id itself, so a typo is visible instead of crashing; ``tests/test_texts.py``
checks that every id is used, has both languages and the same placeholders in both.
"""

from __future__ import annotations

from typing import TypeVar

from hwdesk.texts import cli, domain, frame, handout, outreach, people, sessions, supervisor

T = TypeVar("T")


def _merge(*tables: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for table in tables:
        clash = out.keys() & table.keys()
        if clash:  # one id, one text: a second definition would silently win
            raise RuntimeError(f"message ids defined twice: {sorted(clash)}")
        out.update(table)
    return out


CATALOGUE: dict[str, tuple[str, str]] = _merge(
    people.TEXTS,
    sessions.TEXTS,
    supervisor.TEXTS,
    cli.TEXTS,
    domain.TEXTS,
    frame.TEXTS,
    outreach.TEXTS,
    handout.TEXTS,
)


def pick(ja: T, en: T, lang: str) -> T:
    """``en`` for English, ``ja`` otherwise: for a pair that is data (an office's own wording, a
    service's bilingual result, a formatter per language), not a message of this catalogue."""
    return en if lang == "en" else ja


def tr(key: str, lang: str = "ja", /, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``{placeholders}`` filled (plain text)."""
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def both(key: str, **values: object) -> str:
    """'日本語 / English' — the command palette lists every command by both names."""
    if key not in CATALOGUE:
        return key
    return f"{tr(key, 'ja', **values)} / {tr(key, 'en', **values)}"


__all__ = ["CATALOGUE", "both", "pick", "tr"]
