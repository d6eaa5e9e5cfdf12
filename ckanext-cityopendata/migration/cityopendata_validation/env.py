"""Alembic environment of one plugin's chain: its own version table, only its own tables."""
from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from ckan.model.meta import metadata

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name)

PLUGIN = os.path.basename(os.path.dirname(os.path.abspath(__file__)))
VERSION_TABLE = f"{PLUGIN}_alembic_version"


def ours(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    return name.startswith(PLUGIN) if type_ == "table" else True


def run() -> None:
    options = dict(target_metadata=metadata, version_table=VERSION_TABLE, include_object=ours)
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()


run()
