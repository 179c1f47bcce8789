"""Texts of the command line (``hwdesk …``), Japanese and English."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {}
