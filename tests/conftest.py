"""Fixtures shared by the suite: a clean database with every plugin's tables, the national CKAN."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.national import NationalPortal


def plugins_with_migrations() -> list[str]:
    from ckan.cli.db import _resolve_alembic_config
    from ckan.plugins import toolkit as tk

    names = tk.aslist(tk.config.get("ckan.plugins"))
    return [name for name in names if os.path.exists(_resolve_alembic_config(name))]


@pytest.fixture
def clean_db(reset_db, migrate_db_for):  # type: ignore[no-untyped-def]
    """CKAN's clean_db, plus the tables of every loaded plugin that has migrations (ours included)."""
    reset_db()
    for plugin in plugins_with_migrations():
        migrate_db_for(plugin)


@pytest.fixture(scope="session")
def national_portal() -> Iterator[NationalPortal]:
    """A second, stock CKAN 2.12 on its own port, database and Solr core: the national portal."""
    portal = NationalPortal.start()
    try:
        yield portal
    finally:
        portal.stop()


@pytest.fixture
def clean_national(national_portal: NationalPortal) -> NationalPortal:
    """The national portal with no datasets, organisations or groups left from earlier tests."""
    national_portal.purge_all()
    return national_portal


@pytest.fixture(autouse=True)
def _portal_plugins(with_plugins):  # type: ignore[no-untyped-def]
    """Every test runs with the plugins of the test ini loaded, as the portal does."""
    yield
