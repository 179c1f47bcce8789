"""What changed between two versions of an office's terms, article by article, word by word.

The content of a revision's announcement: ``diff_versions`` pairs the articles of two documents
(added, removed, changed, renumbered), ``word_diff`` marks the words within a changed article, and
``render_changes`` prints the result; ``diff_stored`` compares the stored versions of an office.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass

from sqlmodel import Session, select

from hwdesk.errors import NotFound
from hwdesk.models import TermsVersion
from hwdesk.services.offices import document, terms_versions
from hwdesk.terms import TermsDocument, article_as_text

__all__ = [
    "ArticleChange",
    "CHANGE_KINDS",
    "CHANGE_LABELS",
    "diff_versions",
    "word_diff",
    "render_changes",
    "version_by_number",
    "diff_stored",
]

CHANGE_KINDS = ("added", "removed", "changed", "renumbered")
CHANGE_LABELS = {
    "added": ("新設", "added"),
    "removed": ("削除", "removed"),
    "changed": ("改正", "changed"),
    "renumbered": ("条番号の変更", "renumbered"),
}


# --- diff -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleChange:
    """One changed part of the terms: an article (or the preamble / supplementary provisions).

    ``unified`` is a line diff of the article as a clerk reads it (``article_as_text``);
    ``segments`` is a word-level diff of the same text as ``(op, text)`` pairs, op being
    ``equal``, ``delete`` or ``insert`` — a screen colours deletions and insertions inline.
    """

    kind: str  # one of CHANGE_KINDS
    part: str  # "article", "preamble" or "supplementary"
    old_number: int | None
    new_number: int | None
    heading: str
    old_text: str
    new_text: str
    unified: tuple[str, ...] = ()
    segments: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """'第7条', '第7条→第8条', '前文' or '附則'."""
        if self.part == "preamble":
            return "前文"
        if self.part == "supplementary":
            return "附則"
        if self.old_number and self.new_number and self.old_number != self.new_number:
            return f"第{self.old_number}条→第{self.new_number}条"
        return f"第{self.new_number or self.old_number}条"

    def summary(self, lang: str = "ja") -> str:
        """One line: '第7条（利用の記録等）: 改正' / 'Art. 7 (利用の記録等): changed'."""
        from hwdesk.texts import pick, tr

        return tr(
            "revisions.summary",
            lang,
            label=self.label,
            heading=f"（{self.heading}）" if self.heading else "",
            change=pick(*CHANGE_LABELS[self.kind], lang),
        )


def _body_key(art: dict) -> str:
    # Compare articles without their number: a renumbered but identical article is not "changed".
    return json.dumps({"h": art.get("heading", ""), "p": art.get("paragraphs", [])}, ensure_ascii=False, sort_keys=True)


_TOKEN_RE = re.compile(
    r"[A-Za-z0-9]+|[\u3041-\u309f]+|[\u30a0-\u30ff\uff66-\uff9f]+|[\u4e00-\u9fff\u3005\u3006]+|\s+|.",
    re.DOTALL,
)


def _tokens(text: str) -> list[str]:
    """Word-ish tokens for Japanese: runs of one script (kanji, hiragana, katakana, Latin/digits).

    Japanese has no spaces, so a "word-level" diff splits where the script changes; that keeps
    「端末装置等の識別情報」 → 「端末の識別子」 readable instead of a character soup.
    """
    return _TOKEN_RE.findall(unicodedata.normalize("NFC", text))


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """A word-level diff of two texts as ``(op, text)`` pairs (op: equal / delete / insert)."""
    a, b = _tokens(old), _tokens(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            out.append(("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(("insert", "".join(b[j1:j2])))
    return tuple(out)


def _change(
    kind: str,
    part: str,
    old_no: int | None,
    new_no: int | None,
    heading: str,
    old_text: str,
    new_text: str,
    old_version: int,
    new_version: int,
) -> ArticleChange:
    names = {"preamble": "前文", "supplementary": "附則"}
    label_old = f"第{old_version}版 " + (names.get(part) or (f"第{old_no}条" if old_no else "（なし）"))
    label_new = f"第{new_version}版 " + (names.get(part) or (f"第{new_no}条" if new_no else "（なし）"))
    unified = tuple(
        line.rstrip("\n")
        for line in difflib.unified_diff(
            old_text.splitlines(), new_text.splitlines(), label_old, label_new, n=1, lineterm=""
        )
    )
    return ArticleChange(
        kind, part, old_no, new_no, heading, old_text, new_text, unified, word_diff(old_text, new_text)
    )


def _pair_block(olds: list[dict], news: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair the articles of one replaced block by similarity (an article inserted before a changed
    one must not be reported as the changed one); unpaired ones are removed / added."""
    scored = []
    for i, a in enumerate(olds):
        ta = article_as_text(a)
        for j, b in enumerate(news):
            ratio = difflib.SequenceMatcher(None, ta, article_as_text(b), autojunk=False).ratio()
            if a.get("heading") and a.get("heading") == b.get("heading"):
                ratio += 0.5  # same heading: almost surely the same article revised
            scored.append((ratio, i, j))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[dict | None, dict | None]] = []
    for ratio, i, j in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if ratio < 0.3 or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((olds[i], news[j]))
    pairs += [(a, None) for i, a in enumerate(olds) if i not in used_a]
    pairs += [(None, b) for j, b in enumerate(news) if j not in used_b]
    return pairs


def diff_versions(old: TermsDocument, new: TermsDocument) -> list[ArticleChange]:
    """What changed from ``old`` to ``new``, article by article; unchanged articles are omitted.

    Articles are aligned by their content, not only their number, so that inserting an article
    reports one ``added`` article and ``renumbered`` for the ones after it (their citations
    change), rather than every later article as ``changed``. The preamble (前文) and the
    supplementary provisions (附則) are compared too: 渋谷 and 高松 give consent rules in their
    preamble.
    """
    ov, nv = old.version, new.version
    changes: list[tuple[tuple, ArticleChange]] = []
    old_pre, new_pre = "\n".join(old.raw.get("preamble", [])), "\n".join(new.raw.get("preamble", []))
    if old_pre != new_pre:
        kind = "added" if not old_pre else "removed" if not new_pre else "changed"
        changes.append(((0, 0), _change(kind, "preamble", None, None, "", old_pre, new_pre, ov, nv)))
    olds, news = old.articles, new.articles
    matcher = difflib.SequenceMatcher(None, [_body_key(a) for a in olds], [_body_key(b) for b in news], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs: list[tuple[dict | None, dict | None]] = list(zip(olds[i1:i2], news[j1:j2], strict=True))
        else:
            pairs = _pair_block(olds[i1:i2], news[j1:j2])
        for a, b in pairs:
            if a is not None and b is not None:
                if _body_key(a) == _body_key(b):
                    if a["number"] == b["number"]:
                        continue  # unchanged
                    kind = "renumbered"
                else:
                    kind = "changed"
                change = _change(
                    kind,
                    "article",
                    a["number"],
                    b["number"],
                    b.get("heading", ""),
                    article_as_text(a),
                    article_as_text(b),
                    ov,
                    nv,
                )
                order = (1, b["number"], 0)
            elif b is not None:
                change = _change(
                    "added", "article", None, b["number"], b.get("heading", ""), "", article_as_text(b), ov, nv
                )
                order = (1, b["number"], 0)
            else:
                assert a is not None
                change = _change(
                    "removed", "article", a["number"], None, a.get("heading", ""), article_as_text(a), "", ov, nv
                )
                # A removed article is listed where it stood (after the new article of that number).
                order = (1, a["number"], 1)
            changes.append((order, change))
    old_sup, new_sup = "\n".join(old.raw.get("supplementary", [])), "\n".join(new.raw.get("supplementary", []))
    if old_sup != new_sup:
        kind = "added" if not old_sup else "removed" if not new_sup else "changed"
        changes.append(((2, 0), _change(kind, "supplementary", None, None, "", old_sup, new_sup, ov, nv)))
    return [c for _, c in sorted(changes, key=lambda t: t[0])]


def render_changes(changes: list[ArticleChange], *, lang: str = "ja") -> str:
    """The changes as plain text (a summary line, then the line diff, per change)."""
    if not changes:
        from hwdesk.texts import tr

        return tr("revisions.none", lang)
    blocks = []
    for c in changes:
        blocks.append("\n".join([c.summary(lang), *c.unified]))
    return "\n\n".join(blocks)


def version_by_number(session: Session, *, office_id: str, version: int) -> TermsVersion:
    """One stored version of an office's terms by its number (NotFound otherwise)."""
    row = session.exec(
        select(TermsVersion).where(TermsVersion.office_id == office_id, TermsVersion.version == version)
    ).first()
    if row is None:
        raise NotFound(
            f"{office_id} の規約 第{version}版 はありません。", f"No version {version} of {office_id}'s terms."
        )
    return row


def diff_stored(
    session: Session, *, office_id: str, from_version: int | None = None, to_version: int | None = None
) -> tuple[TermsVersion, TermsVersion, list[ArticleChange]]:
    """Diff two stored versions (default: the newest against the one before it)."""
    versions = terms_versions(session, office_id)
    if not versions:
        raise NotFound(f"{office_id} の規約が登録されていません。", f"No terms are registered for {office_id}.")
    new = version_by_number(session, office_id=office_id, version=to_version) if to_version else versions[-1]
    if from_version:
        old = version_by_number(session, office_id=office_id, version=from_version)
    else:
        earlier = [v for v in versions if v.version < new.version]
        if not earlier:
            raise NotFound(
                f"{office_id} の規約 第{new.version}版 より前の版は登録されていません。",
                f"{office_id} has no version before {new.version} to compare with.",
            )
        old = earlier[-1]
    return old, new, diff_versions(document(old), document(new))
