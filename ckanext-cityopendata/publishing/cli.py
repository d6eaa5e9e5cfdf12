"""`ckan cityopendata national sync` and `ckan cityopendata screening run`."""
from __future__ import annotations

from collections import Counter
from typing import Optional

import click

from ckanext.cityopendata.cli import cityopendata

__all__ = ["cityopendata"]


@cityopendata.group("national", short_help="The link with the national data portal.")
def national() -> None:
    """Push published datasets to the national data portal."""


@national.command("sync")
@click.argument("dataset", required=False)
@click.option("--all", "everything", is_flag=True, help="Sync every published (and every withdrawn) dataset.")
@click.option("--force", is_flag=True, help="Push even when nothing changed since the last sync.")
def national_sync(dataset: Optional[str], everything: bool, force: bool) -> None:
    """Sync DATASET, or --all, with the national portal."""
    from ckan import model
    from ckanext.cityopendata.publishing.interfaces import TargetError
    from ckanext.cityopendata.publishing.national import sync

    if bool(dataset) == everything:
        raise click.UsageError("give one DATASET or --all")
    if not sync.configured():
        raise click.ClickException("the national portal is not configured (ckanext.cityopendata.national.url)")
    if dataset:
        pkg = model.Package.get(dataset)
        if pkg is None:
            raise click.ClickException(f"no dataset {dataset!r}")
        ids = [pkg.id]
    else:
        ids = sync.datasets_to_sync()
    try:
        target = sync.make_target()
    except TargetError as error:
        raise click.ClickException(str(error))
    outcomes: Counter[str] = Counter()
    with click.progressbar(ids, label="national sync", show_pos=True) as bar:
        for package_id in bar:
            outcomes[sync.sync_dataset(package_id, target=target, force=force)] += 1
    order = ("synced", "unchanged", "withdrawn", "failed", "skipped")
    click.echo("national sync: " + ", ".join(f"{k} {outcomes.get(k, 0)}" for k in order) + f" of {len(ids)}")
    if outcomes.get("failed"):
        raise SystemExit(1)


@cityopendata.group("screening", short_help="Personal-data screening of resource files.")
def screening_group() -> None:
    """Screen resource files for personal data."""


@screening_group.command("run")
@click.argument("dataset")
def screening_run(dataset: str) -> None:
    """Screen every file of DATASET now."""
    from ckan import model
    from ckanext.cityopendata.publishing import screening

    pkg = model.Package.get(dataset)
    if pkg is None:
        raise click.ClickException(f"no dataset {dataset!r}")
    found = 0
    resources = [r.id for r in pkg.resources]
    with click.progressbar(resources, label="screening", show_pos=True) as bar:
        for resource_id in bar:
            found += len(screening.screen_resource(resource_id)["findings"])
    click.echo(f"screening: {len(resources)} files, {found} findings")
