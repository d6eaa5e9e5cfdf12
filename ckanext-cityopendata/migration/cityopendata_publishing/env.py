"""Runs this plugin's migrations with its own version table; only its own tables are compared."""
from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from ckan.model.meta import metadata

NAME = os.path.basename(os.path.dirname(os.path.abspath(__file__)))
TABLE_PREFIX = "cityopendata_"
config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name)


def ours(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    return type_ != "table" or name.startswith(TABLE_PREFIX)


def options() -> dict:
    return {"target_metadata": metadata, "version_table": f"{NAME}_alembic_version", "include_object": ours}


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options())
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **options())
        with context.begin_transaction():
            context.run_migrations()
