"""Alembic environment: migrations run on the connection the Store hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from oobaudit.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    if connection.dialect.name == "postgresql":
        # Several collectors may open a fresh database at once: one migrates, the others wait.
        connection.execute(text("SELECT pg_advisory_xact_lock(7340061)"))
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
