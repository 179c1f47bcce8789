"""Usage records classified for the statistics: the platform's free text as a fixed vocabulary.

Usage records (前橋 第4条, 渋谷 第4条, 高松 第7条) enter the statistics only as counts: records,
distinct participants, device classes and OS families from a fixed vocabulary (the platform's
free text is classified, never shown) and mean minutes connected. No identifier, not even a
pseudonym, is in a report.
"""

from __future__ import annotations

import re
import unicodedata

DEVICE_CLASSES = {
    "pc": ("パソコン", "PC"),
    "smartphone": ("スマートフォン", "Smartphone"),
    "tablet": ("タブレット", "Tablet"),
    "browser": ("ブラウザ", "Web browser"),
    "phone": ("電話（音声のみ）", "Telephone (audio only)"),
    "other": ("その他・不明", "Other / unknown"),
}
OS_FAMILIES = {
    "windows": ("Windows", "Windows"),
    "macos": ("macOS", "macOS"),
    "ios": ("iOS / iPadOS", "iOS / iPadOS"),
    "android": ("Android", "Android"),
    "chromeos": ("ChromeOS", "ChromeOS"),
    "linux": ("Linux", "Linux"),
    "other": ("その他・不明", "Other / unknown"),
}


# --- classification of usage records (free text → fixed vocabulary) -----------------------------


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def device_class(device_kind: str, os_name: str = "") -> str:
    """The platform's reported device kind (falling back to the OS) as one of DEVICE_CLASSES."""
    for text in (_norm(device_kind), _norm(os_name)):
        if not text:
            continue
        if re.search(r"ipad|tablet|タブレット", text):
            return "tablet"
        if re.search(r"iphone|android|smart ?phone|mobile|スマホ|スマートフォン|携帯|\bios\b", text):
            return "smartphone"
        if re.search(r"web|browser|ブラウザ", text):
            return "browser"
        if re.search(r"dial|phone|tel|電話", text):
            return "phone"
        if re.search(
            r"\bpc\b|windows|mac|linux|desktop|laptop|パソコン|chrome ?os|chromebook|パーソナルコンピュータ", text
        ):
            return "pc"
    return "other"


def os_family(os_name: str) -> str:
    """The reported OS as one of OS_FAMILIES (version strings and build numbers dropped)."""
    text = _norm(os_name)
    if re.search(r"chrome ?os|chromebook", text):
        return "chromeos"
    if re.search(r"windows|\bwin ?\d", text):
        return "windows"
    if re.search(r"ipados|iphone|ipad|\bios\b", text):
        return "ios"
    if re.search(r"mac ?os|os ?x|macintosh|\bmac\b", text):
        return "macos"
    if "android" in text:
        return "android"
    if re.search(r"linux|ubuntu|debian|fedora", text):
        return "linux"
    return "other"
