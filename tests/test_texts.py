"""The text catalogue (``hwdesk.texts``): every message id has Japanese and English with the same
placeholders, every id is used somewhere in the code (an unused text is a leftover), and every id
the code asks for exists (a typo would show the id itself)."""

from __future__ import annotations

import re
import string
from pathlib import Path

from hwdesk.texts import CATALOGUE, both, tr

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_DIR = ROOT / "hwdesk" / "texts"


# English leaves out a value Japanese names, on purpose (the id, the placeholders English omits):
# "the office revised its terms" reads better than repeating the office name the line starts with.
ENGLISH_OMITS = {"detail.outdated": {"office"}}


def _code() -> str:
    parts = []
    for top in ("hwdesk", "screens"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.parent != CATALOGUE_DIR:
                parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_every_id_has_both_languages_with_the_same_placeholders():
    problems = []
    for key, pair in CATALOGUE.items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(s, str) and s.strip() for s in pair)):
            problems.append(f"{key}: not a (ja, en) pair of non-empty texts")
            continue
        ja, en = pair
        if _fields(ja) != _fields(en) | ENGLISH_OMITS.get(key, set()):
            problems.append(f"{key}: placeholders {sorted(_fields(ja))} vs {sorted(_fields(en))}")
    assert not problems, "\n".join(problems)


def test_every_id_is_used_in_the_code():
    code = _code()
    literal = set(re.findall(r"""["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""", code))
    # ids built at run time: f"detail.scope_{term.scope}" uses every "detail.scope_…" id
    prefixes = tuple(re.findall(r"""f["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]*)+)\{""", code))
    # the handout's layout reads its fixed wording by name: t["doc_title"] is "handout.doc_title"
    literal |= {f"handout.{name}" for name in re.findall(r"""\bt\[["']([a-z_]+)["']\]""", code)}
    unused = sorted(k for k in CATALOGUE if k not in literal and not k.startswith(prefixes))
    assert not unused, f"message ids no code uses: {unused}"


def test_every_id_the_code_asks_for_exists():
    code = _code()
    asked = set(
        re.findall(r"""(?:\btr|\.t|\bt|\.msg|_done\(ctx,)\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""", code)
    )
    # a key binding's description is a message id too: Binding("ctrl+s", "save", "k.save")
    asked |= set(re.findall(r'Binding\(\s*"[^"]*",\s*"[^"]*",\s*"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"', code))
    missing = sorted(k for k in asked if k not in CATALOGUE)
    assert not missing, f"message ids the code asks for but the catalogue lacks: {missing}"


def test_lookup_fills_placeholders_and_shows_unknown_ids():
    assert tr("search.count", "en", n=3) == "3 found"
    assert tr("no.such.id", "en") == "no.such.id"
    assert both("k.back") == "戻る / Back"
