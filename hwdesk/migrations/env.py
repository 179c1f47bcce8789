"""Alembic environment: the same migrations for SQLite and PostgreSQL."""

from alembic import context
from sqlmodel import SQLModel

import hwdesk.models  # noqa: F401  (registers the tables)
from hwdesk.nameindex import include_object

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run against the store's write engine (IMMEDIATE on SQLite) or the configured URL."""
    store = config.attributes.get("store")
    if store is not None:
        engine = store.write_engine
    else:
        from sqlalchemy import create_engine

        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("alembic: no store given and no sqlalchemy.url configured")
        engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object(connection.dialect.name == "sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
