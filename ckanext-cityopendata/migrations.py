"""Where CKAN finds the alembic migrations of our plugins.

CKAN locates a plugin's migrations from the path of its source file, expecting it under
``.../ckanext/<ext>/``. Our three-folder layout, installed with ``pip install -e .``, puts the
source under ``ckanext-cityopendata/``, so CKAN would look in the wrong place. Every plugin of
ours keeps its alembic folder in ``ckanext-cityopendata/migration/<plugin name>/``; ``install()``
teaches ``ckan db upgrade -p``, ``ckan db pending-migrations``, ``ckan generate migration -p`` and
the ``migrate_db_for`` test fixture to look there. It is called when a plugin module of ours loads.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

MIGRATION_ROOT = Path(__file__).resolve().parent / "migration"
PREFIX = "cityopendata"


def alembic_ini(plugin: str) -> str:
    return str(MIGRATION_ROOT / plugin / "alembic.ini")


def install() -> None:
    from ckan.cli import db, generate

    original: Callable[[str], str] = db._resolve_alembic_config
    if getattr(original, "cityopendata", False):
        return

    def resolve(plugin: str) -> str:
        if plugin and plugin.startswith(PREFIX):
            return alembic_ini(plugin)
        return original(plugin)

    resolve.cityopendata = True  # type: ignore[attr-defined]
    db._resolve_alembic_config = resolve
    generate._resolve_alembic_config = resolve  # type: ignore[attr-defined]
