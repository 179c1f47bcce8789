"""Texts of the domain modules and services (labels, notices, refusals), Japanese and English."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {}
