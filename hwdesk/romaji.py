"""Romaji as staff type a reading: Hepburn, kunrei (and nihon-shiki), IME habits → katakana.

The search box takes ``yamada``, ``tutomu`` or ``shinji`` for ヤマダ, ツトム, シンジ. Romaji is
ambiguous in ways that matter for a name: ``kenichi`` is ケンイチ (Hepburn would write
``ken'ichi``) or ケニチ, ``yuko`` is usually ユウコ (long vowels go unmarked on passports), ``ohno``
is オオノ or オウノ, ``shinnosuke`` is シンノスケ (an IME reads シンオスケ). :func:`readings` gives
every reading a romaji string may stand for, the likeliest first, a few at most; the search looks
each one up as a prefix. A trailing consonant still being typed (``yamad``) is left out, so the
reading so far is searched.
"""

from __future__ import annotations

import re
import unicodedata

_VOWELS = "aiueo"
_ROWS = {
    "k": "カキクケコ",
    "s": "サシスセソ",
    "t": "タチツテト",
    "n": "ナニヌネノ",
    "h": "ハヒフヘホ",
    "m": "マミムメモ",
    "r": "ラリルレロ",
    "g": "ガギグゲゴ",
    "z": "ザジズゼゾ",
    "d": "ダヂヅデド",
    "b": "バビブベボ",
    "p": "パピプペポ",
}


def _table() -> dict[str, str]:
    t: dict[str, str] = dict(zip(_VOWELS, "アイウエオ"))
    for c, row in _ROWS.items():
        t.update({c + v: k for v, k in zip(_VOWELS, row)})
        if c not in "y":
            i = row[1]  # キ → キャ キュ キョ (ヂ too: ヂャ)
            t.update({c + "ya": i + "ャ", c + "yu": i + "ュ", c + "yo": i + "ョ"})
    t.update(
        {
            "ya": "ヤ",
            "yu": "ユ",
            "yo": "ヨ",
            "ye": "イェ",
            "wa": "ワ",
            "wi": "ウィ",
            "we": "ウェ",
            "wo": "ヲ",
            # Hepburn beside kunrei
            "shi": "シ",
            "sha": "シャ",
            "shu": "シュ",
            "sho": "ショ",
            "she": "シェ",
            "chi": "チ",
            "cha": "チャ",
            "chu": "チュ",
            "cho": "チョ",
            "che": "チェ",
            "tsu": "ツ",
            "fu": "フ",
            "fa": "ファ",
            "fi": "フィ",
            "fe": "フェ",
            "fo": "フォ",
            "ji": "ジ",
            "ja": "ジャ",
            "ju": "ジュ",
            "jo": "ジョ",
            "je": "ジェ",
            "jya": "ジャ",
            "jyu": "ジュ",
            "jyo": "ジョ",
            "dzu": "ヅ",
            "dji": "ヂ",
            "tsa": "ツァ",
            "thi": "ティ",
            "dhi": "ディ",
            "va": "ヴァ",
            "vi": "ヴィ",
            "vu": "ヴ",
            "ve": "ヴェ",
            "vo": "ヴォ",
            # l for r, as some foreigners and some keyboards write it
            **{"l" + v: k for v, k in zip(_VOWELS, _ROWS["r"])},
        }
    )
    return t


SYLLABLES = _table()
_LONGEST = max(map(len, SYLLABLES))
# Every beginning of a syllable (a consonant still being typed at the end of the query).
_PARTIAL = {key[:i] for key in SYLLABLES for i in range(1, len(key))}
_MACRONS = str.maketrans({"ā": "aa", "ī": "ii", "ū": "uu", "ē": "ee", "ō": "ou", "â": "aa", "û": "uu", "ô": "ou"})
_ROMAJI_RE = re.compile(r"[a-z' \-]+")

# Syllables a long vowel may follow unmarked, and those an "h" may lengthen (Ohno, Kohno).
_O_END = set("オコソトノホモロゴゾドボポヨョ")
_U_END = set("ユュ")

MAX_READINGS = 4
# How many choices off the likeliest reading a reading may take (each inserted long vowel,
# each n read as ン before a vowel): more is rarely meant and multiplies the lookups.
_MAX_COST = 2


def looks_like_romaji(text: str) -> bool:
    """Whether ``text`` is romaji a clerk might type for a reading: Latin letters (with macrons),
    spaces, apostrophes and hyphens, with a mora in it: a vowel, or the syllabic ``n`` (ン)."""
    s = _normal(text)
    return bool(s) and bool(_ROMAJI_RE.fullmatch(s)) and any(ch in _VOWELS or ch == "n" for ch in s)


def _normal(text: str) -> str:
    s = unicodedata.normalize("NFKC", text if isinstance(text, str) else "").lower().translate(_MACRONS)
    return unicodedata.normalize("NFKC", s)


def readings(text: str, *, limit: int = MAX_READINGS) -> list[str]:
    """The katakana readings (no spaces) ``text`` may be romaji for, the likeliest first, at most
    ``limit``; [] when it is not romaji. Never raises (it runs on every keystroke)."""
    s = _normal(text)
    if not s or not _ROMAJI_RE.fullmatch(s):
        return []
    s = re.sub(r"[ \-]+", "", s)
    found: dict[str, int] = {}
    _walk(s, 0, "", 0, found)
    ranked = sorted(found.items(), key=lambda kv: (kv[1], len(kv[0]) == 0))
    return [k for k, _ in ranked if k][:limit]


def _walk(s: str, i: int, out: str, cost: int, found: dict[str, int]) -> None:
    """Depth-first over the ways to read ``s[i:]``; ``found`` gets each reading's lowest cost."""
    if cost > _MAX_COST or len(found) > 64:
        return
    n = len(s)
    if i >= n:
        if out not in found or found[out] > cost:
            found[out] = cost
        return
    ch = s[i]
    nxt = s[i + 1] if i + 1 < n else ""
    if ch == "'":
        _walk(s, i + 1, out, cost, found)
        return
    if ch == "n":
        if nxt == "" or (nxt not in _VOWELS and nxt not in "y'n"):
            _walk(s, i + 1, out + "ン", cost, found)  # ken, kenta
        elif nxt == "'":
            _walk(s, i + 2, out + "ン", cost, found)  # ken'ichi
        elif nxt == "n":
            # shinnosuke: ン then ノ (Hepburn); an IME's "nn" is one ン (shinnosuke → シンオスケ)
            _walk(s, i + 1, out + "ン", cost, found)
            _walk(s, i + 2, out + "ン", cost + 1, found)
        elif s[i - 1 : i] != "n":  # (after "nn" the IME reading is above)
            _walk(s, i + 1, out + "ン", cost + 1, found)  # kenichi read as ken'ichi
    if ch == "m" and nxt in ("b", "p", "m"):
        _walk(s, i + 1, out + "ン", cost, found)  # Hepburn: shumpei, homma
        if nxt != "m":
            return
    if ch not in _VOWELS and ch != "n" and nxt == ch:
        _walk(s, i + 1, out + "ッ", cost + (ch == "m"), found)  # gakkou, matta
        return
    if ch == "t" and s.startswith("ch", i + 1):
        _walk(s, i + 1, out + "ッ", cost, found)  # matcha
        return
    if ch == "h" and out[-1:] in _O_END and nxt not in _VOWELS and nxt != "y":
        # ohno, oota written Ohta: the h marks a long o
        _walk(s, i + 1, out + "オ", cost, found)
        _walk(s, i + 1, out + "ウ", cost, found)
        return
    matched = False
    for size in range(min(_LONGEST, n - i), 0, -1):
        kana = SYLLABLES.get(s[i : i + size])
        if kana is None:
            continue
        matched = True
        j = i + size
        _walk(s, j, out + kana, cost, found)
        # An unmarked long vowel (yuko → ユウコ, ryota → リョウタ, kondo → コンドウ): only before
        # a consonant or the end, and never when the long vowel is already spelled out.
        after = s[j] if j < n else ""
        if after and after not in "uo'" and (kana[-1] in _U_END or kana[-1] in _O_END):
            _walk(s, j, out + kana + "ウ", cost + 1, found)
            if kana[-1] in _O_END:
                _walk(s, j, out + kana + "オ", cost + 1, found)  # ota → オオタ, tohyama → トオヤマ
        break
    if not matched and s[i:] in _PARTIAL:
        # yamad: the reading so far (a final n is more likely ン, read above)
        _walk(s, n, out, cost + (ch == "n"), found)


__all__ = ["SYLLABLES", "MAX_READINGS", "looks_like_romaji", "readings"]
