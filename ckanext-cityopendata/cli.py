"""`ckan cityopendata …`: the one command group of the portal; each feature adds its commands here."""
from __future__ import annotations

import click

__all__ = ["cityopendata"]


@click.group(short_help="City open-data portal commands.")
def cityopendata() -> None:
    """Commands of the city open-data portal."""


@cityopendata.command("seed-demo")
def seed_demo() -> None:
    """Create the demo agencies and datasets (idempotent)."""
    from ckanext.cityopendata import demo

    def progress(title: str) -> None:
        click.echo(f"  · {title}")

    counts = demo.seed(progress)
    click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
