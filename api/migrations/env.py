"""Alembic environment: migrates the engine that :func:`api.db.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from api.models import Base

engine: Engine | None = context.config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run migrations through api.db.migrate(engine) or `gridpatrol serve`")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
