"""Alembic environment of the cityopendata_portal plugin: its own version table, its own tables only."""
from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from ckan.model.meta import metadata

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name)

PLUGIN = os.path.basename(os.path.dirname(__file__))
VERSION_TABLE = f"{PLUGIN}_alembic_version"
OUR_TABLES = {"cityopendata_link_check", "cityopendata_usage", "cityopendata_commitment", "cityopendata_showcase_app"}


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    return name in OUR_TABLES if type_ == "table" else True


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                          literal_binds=True, version_table=VERSION_TABLE, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                          include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()


run()
