"""`ckan cityopendata harvest run SOURCE | --all`: a harvest job in-process, with a progress bar."""
from __future__ import annotations

from typing import Optional

import click

from ckanext.cityopendata.cli import cityopendata

__all__ = ["cityopendata"]


@cityopendata.group("harvest", short_help="Harvest agency sources.")
def harvest() -> None:
    """Harvest agency sources (CKAN, DCAT, spreadsheet catalogues, JSON APIs)."""


@harvest.command("run")
@click.argument("source", required=False)
@click.option("--all", "run_all", is_flag=True, help="Run every active harvest source.")
@click.option("--workers", type=click.IntRange(1, 32), default=None,
              help="Processes importing side by side (default: ckanext.cityopendata.harvest.import_workers).")
def run(source: Optional[str], run_all: bool, workers: Optional[int]) -> None:
    """Run a harvest job of SOURCE (name or id) now: gather, fetch and import in this process."""
    from ckanext.cityopendata.harvesters import runner

    if bool(source) == run_all:
        raise click.UsageError("give one SOURCE or --all")
    try:
        sources = runner.active_sources() if run_all else [runner.find_source(source or "")]
    except runner.HarvestRunError as error:
        raise click.ClickException(str(error))
    failed_sources = []
    for item in sources:
        bar_holder: dict[str, object] = {}

        def on_total(total: int, bar_holder: dict[str, object] = bar_holder) -> None:
            bar = click.progressbar(length=total, label="  importing", show_pos=True)
            bar.__enter__()
            bar_holder["bar"] = bar

        def progress(step: int, bar_holder: dict[str, object] = bar_holder) -> None:
            bar_holder["bar"].update(step)  # type: ignore[attr-defined]

        try:
            summary = runner.run_source(item, progress=progress, on_total=on_total, workers=workers)
        except runner.HarvestRunError as error:
            click.echo(f"{item.url}: {error}", err=True)
            failed_sources.append(item.url)
            continue
        finally:
            if "bar" in bar_holder:
                bar_holder["bar"].__exit__(None, None, None)  # type: ignore[attr-defined]
        for message in summary.errors:
            click.echo(f"  error: {message}", err=True)
        if summary.failed:
            for error in runner.object_errors(summary.job_id)[:5]:
                click.echo(f"  {error['guid']}: {error['message']}", err=True)
        click.echo(summary.line())
        if summary.errors:
            failed_sources.append(summary.source)
    if failed_sources:
        raise click.ClickException(f"{len(failed_sources)} source(s) could not be harvested: {', '.join(failed_sources)}")
