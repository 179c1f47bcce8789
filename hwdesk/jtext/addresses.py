"""Where someone is reached: email addresses (:func:`parse_email`) and meeting join URLs
(:func:`parse_join_url`, which knows each platform's hosts)."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from hwdesk.jtext.base import ParseError, _as_text, _nfkc, _shown
from hwdesk.jtext.safety import _is_bad_char, safe_display

__all__ = ["PLATFORM_NAMES", "parse_email", "parse_join_url", "split_https"]

# Consecutive dots and a dot before "@" are allowed on purpose: old docomo/au
# addresses such as "taro..x.@docomo.ne.jp" are still in use.
_EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_EMAIL_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def parse_email(value: str) -> str:
    """Email address, simple but strict enough; "" (not given) returns "".

    NFKC first (full-width ＠ from the IME), then: exactly one @, non-empty
    local part of ASCII characters, domain with at least one dot, no spaces.
    The domain is lower-cased; the local part is kept as typed.
    """
    text = _as_text(value)
    addr = _nfkc(text).strip()
    if not addr:
        return ""
    err = ParseError(
        "メールアドレスの形式が正しくありません（例: taro@example.jp）。"
        f"半角英数字で入力してください。入力: {_shown(text)}",
        f"That is not a valid email address (e.g. taro@example.jp). Got: {_shown(text)}",
        field="email",
    )
    if addr.count("@") != 1 or len(addr) > 254:
        raise err
    local, domain = addr.split("@")
    domain = domain.lower()
    labels = domain.split(".")
    if (
        not _EMAIL_LOCAL_RE.fullmatch(local)
        or len(labels) < 2
        or not all(_EMAIL_LABEL_RE.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise err
    return f"{local}@{domain}"


# Exact hosts and parent domains (matching "x.<domain>") per platform.
_PLATFORM_HOSTS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "zoom": (frozenset({"zoom.us", "zoom.com"}), ("zoom.us", "zoom.com")),
    "teams": (
        frozenset({"teams.microsoft.com", "teams.live.com"}),
        ("teams.microsoft.com",),
    ),
    "webex": (frozenset({"webex.com"}), ("webex.com",)),
}
# The meeting apps by their product names, the same in every language (the one home of these names).
PLATFORM_NAMES = {"zoom": "Zoom", "teams": "Microsoft Teams", "webex": "Webex"}
_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\]")


def parse_join_url(value: str, platform: str) -> str:
    """Meeting join URL for ``platform`` ("zoom", "teams", "webex", other).

    https only; the host must belong to the platform (zoom: zoom.us, zoom.com
    and their subdomains; teams: teams.microsoft.com, teams.live.com,
    *.teams.microsoft.com; webex: webex.com, *.webex.com); any other platform
    name accepts any https host.  URLs with user info (user@host), spaces,
    backslashes, control characters or a non-ASCII host are refused, since
    those are how a look-alike link hides where it really goes.  Returns the
    URL stripped of surrounding whitespace.
    """
    text = _as_text(value)
    url = text.strip()
    plat = str(platform).strip().lower()

    def err(ja: str, en: str) -> ParseError:
        return ParseError(f"{ja} 入力: {_shown(text)}", f"{en} Got: {_shown(text)}", field="join_url")

    if not url:
        raise err("参加URLを入力してください。", "Enter the join URL.")
    if len(url) > 2000:
        raise err("URLが長すぎます（2000文字まで）。", "The URL is too long (max 2000 characters).")
    if any(ch.isspace() or _is_bad_char(ord(ch)) for ch in url):
        raise err(
            "URLに空白や制御文字が含まれています。",
            "The URL contains spaces or control characters.",
        )
    if "\\" in url:
        raise err("URLに「\\」は使えません。", "The URL must not contain a backslash.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise err("URLの形式が正しくありません。", "That is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme == "http":
        raise err(
            "http:// のURLは使えません。https:// で始まるURLを入力してください。",
            "http:// links are not accepted; enter the https:// link.",
        )
    if scheme != "https":
        raise err(
            "URLは https:// で始まる必要があります。",
            "The URL must start with https://.",
        )
    if "@" in parts.netloc:
        raise err(
            "ユーザー名入りのURL（…@…）は使えません。",
            "URLs with a user name part (…@…) are not accepted.",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host or not host.isascii() or not _HOST_RE.fullmatch(host) or ".." in host:
        raise err("URLのホスト名が正しくありません。", "The URL has no valid host name.")
    rule = _PLATFORM_HOSTS.get(plat)
    if rule is not None:
        exact, parents = rule
        if not (host in exact or any(host.endswith("." + p) for p in parents)) or port not in (None, 443):
            label = PLATFORM_NAMES[plat]
            raise err(
                f"{label} の参加URLではありません（ホスト: {safe_display(host)[:60]}）。",
                f"This is not a {label} join URL (host: {safe_display(host)[:60]}).",
            )
    return url


def split_https(url: str) -> SplitResult | None:
    """The parts of ``url`` when it starts with ``https://`` (any case) and ``urlsplit`` reads it;
    ``None`` otherwise. Host and user info are left to the caller to judge."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != "https" or not url.lower().startswith("https://"):
        return None
    return parts
