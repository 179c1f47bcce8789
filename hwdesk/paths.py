"""Where hwdesk's shipped data lives.

In a source checkout the data sits in the repository's ``data/`` directory; an installed
wheel carries the same tree as ``hwdesk/_data`` (see ``pyproject.toml``,
``[tool.hatch.build.targets.wheel.force-include]``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["data_dir"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    """Return the data directory: ``hwdesk/_data`` when installed, else the repo's ``data/``."""
    installed = _PACKAGE_DIR / "_data"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "data"


def default_db_path() -> Path:
    """The default SQLite file in the user's data directory (platformdirs)."""
    from platformdirs import user_data_path

    return user_data_path("hwdesk", appauthor=False) / "hwdesk.sqlite3"
