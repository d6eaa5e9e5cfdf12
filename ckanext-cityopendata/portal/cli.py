"""`ckan cityopendata …` commands of the portal pages: the approved open-data list, showcase apps."""
from __future__ import annotations

from pathlib import Path

import click

from ckanext.cityopendata.cli import cityopendata

__all__ = ["cityopendata"]


@cityopendata.command("import-open-data-list")
@click.argument("spreadsheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_open_data_list(spreadsheet: Path) -> None:
    """Replace the city's approved open-data list with SPREADSHEET (.csv or .xlsx).

    Columns: agency (organization name), title, dataset_name, publish_by, review_by,
    update_frequency (Vietnamese headings co_quan, ten_du_lieu, ma_du_lieu, han_cong_bo,
    han_ra_soat, tan_suat are read too).
    """
    from ckanext.cityopendata.portal import commitments

    try:
        with click.progressbar(length=1, label="reading") as bar:
            items = commitments.parse(commitments.read_rows(spreadsheet))
            bar.update(1)
        count = commitments.replace_all(items)
    except commitments.ImportError_ as error:
        raise click.ClickException(str(error)) from None
    agencies = len({i["agency"] for i in items})
    click.echo(f"imported {count} committed datasets of {agencies} agencies from {spreadsheet.name}")


@cityopendata.command("showcase-add")
@click.option("--title", required=True)
@click.option("--url", required=True)
@click.option("--description", default="")
@click.option("--author", default="")
@click.option("--dataset", "datasets", multiple=True, help="name of a dataset the app uses (repeatable)")
def showcase_add(title: str, url: str, description: str, author: str, datasets: tuple[str, ...]) -> None:
    """Add an application built on the portal's data to the showcase."""
    from ckan import model

    from ckanext.cityopendata.portal.model import ShowcaseApp
    from ckanext.cityopendata.text import nfc

    if not url.startswith(("http://", "https://")):
        raise click.UsageError("--url must be an http(s) address")
    missing = [d for d in datasets if not model.Package.get(d)]
    if missing:
        raise click.ClickException(f"unknown dataset(s): {', '.join(missing)}")
    model.Session.add(ShowcaseApp(title=nfc(title), url=url, description=nfc(description), author=nfc(author),
                                  datasets=list(datasets)))
    model.Session.commit()
    click.echo(f"added {title!r} to the showcase")
