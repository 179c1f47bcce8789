"""Keeping the data safe: ``check``, ``backup``, ``restore`` and the audit head kept outside.

- :mod:`~hwdesk.maintenance.report`: what a check found (``Finding``, ``CheckReport``);
- :mod:`~hwdesk.maintenance.head`: the audit head recorded in a file *outside* the database;
- :mod:`~hwdesk.maintenance.integrity`: the checks of one database in one snapshot, and of a
  backup file read-only (``inspect_sqlite_file``);
- :mod:`~hwdesk.maintenance.check`: ``check_store`` of the live database, ``reanchor``;
- :mod:`~hwdesk.maintenance.backup`: ``backup_sqlite`` with SQLite's online backup API;
- :mod:`~hwdesk.maintenance.restore`: ``restore_sqlite`` from a checked backup.

PostgreSQL is backed up with ``pg_dump``/``pg_restore`` (docs/operations.md); its outside head
file is named by ``--head-file`` or ``HWDESK_AUDIT_HEAD_FILE``. Import each name from its module:
the package itself exports nothing.
"""
