"""Alembic environment: migrates the database named in the config's sqlalchemy.url (set by data_sources.db)."""

from alembic import context
from sqlalchemy import create_engine

# Modules that add tables to the shared metadata: imported so autogenerate sees the whole schema.
from data_sources import alerts_workflow, schema_auth, schema_incidents  # noqa: F401
from data_sources.core.connections import sqlalchemy_url
from data_sources.history import rollups  # noqa: F401
from data_sources.schema import metadata

config = context.config


def run_migrations_online() -> None:
    connectable = create_engine(sqlalchemy_url(config.get_main_option("sqlalchemy.url")))
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    connectable.dispose()


run_migrations_online()
