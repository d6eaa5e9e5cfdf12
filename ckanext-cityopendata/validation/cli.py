"""`ckan cityopendata validate …` and `ckan cityopendata validate-file PATH --schema SCHEMA`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import click

from ckanext.cityopendata.cli import cityopendata

__all__ = ["cityopendata"]


@cityopendata.command("validate")
@click.argument("target", required=False)
@click.option("--org", "org", help="Validate every dataset of this agency (name or id).")
@click.option("--all", "everything", is_flag=True, help="Validate every tabular resource of the portal.")
@click.option("--force", is_flag=True, help="Validate even files that did not change.")
@click.option("--queue", "queued", is_flag=True, help="Queue background jobs instead of validating here.")
def validate(target: Optional[str], org: Optional[str], everything: bool, force: bool, queued: bool) -> None:
    """Validate a resource, a dataset (TARGET: id or name), an agency (--org) or everything (--all)."""
    from ckan import model

    from ckanext.cityopendata.validation import jobs

    if sum(bool(x) for x in (target, org, everything)) != 1:
        raise click.UsageError("give one of: a resource or dataset id, --org AGENCY, --all")
    resource_ids: list[str] = []
    if target:
        if model.Resource.get(target) is not None:
            resource_ids = [r["id"] for r in jobs.tabular_resources_by_id(target)]
            if not resource_ids:
                raise click.ClickException(f"{target} is not a tabular resource")
        else:
            pkg = model.Package.get(target)
            if pkg is None or pkg.state != "active":
                raise click.ClickException(f"no resource or dataset {target}")
            resource_ids = [r["id"] for r in jobs.tabular_resources(pkg.id)]
    else:
        query = model.Session.query(model.Package.id).filter(model.Package.state == "active")
        if org:
            group = model.Group.get(org)
            if group is None or not group.is_organization:
                raise click.ClickException(f"no agency {org}")
            query = query.filter(model.Package.owner_org == group.id)
        for (package_id,) in query.order_by(model.Package.name):
            resource_ids.extend(r["id"] for r in jobs.tabular_resources(package_id))
    outcome: dict[str, int] = {}
    with click.progressbar(resource_ids, label="Validating", show_pos=True) as bar:
        for resource_id in bar:
            if queued:
                jobs.enqueue(resource_id, force=force)
                status = "queued"
            else:
                status = jobs.validate_resource(resource_id, force=force) or "skipped"
            outcome[status] = outcome.get(status, 0) + 1
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(outcome.items())) or "nothing to validate"
    click.echo(f"{len(resource_ids)} resources; {summary}")


@cityopendata.command("validate-file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--schema", "schema_ref", help="Catalogue id (bus-stops/1.0), http(s) URL or a local schema.json.")
@click.option("--format", "fmt", help="csv, tsv, xlsx, ods or json (default: from the file name).")
@click.option("--encoding", help="The file's encoding, if detection should not decide.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate_file_command(
    path: Path, schema_ref: Optional[str], fmt: Optional[str], encoding: Optional[str], as_json: bool
) -> None:
    """Validate a local file offline (no database) and print the report the portal would store."""
    from ckanext.cityopendata.validation import detect
    from ckanext.cityopendata.validation.limits import Limits
    from ckanext.cityopendata.validation.pipeline import summarise, validate_file
    from ckanext.cityopendata.validation.schema_source import SchemaError, resolve

    table_format = detect.tabular_format(fmt or path.suffix)
    if table_format is None:
        raise click.UsageError(f"{path.name}: not a table format (csv, tsv, xlsx, ods, json)")
    try:
        if schema_ref and Path(schema_ref).is_file():
            # The operator's own file on the command line; resources can never point at local paths.
            descriptor: Optional[dict[str, Any]] = json.loads(Path(schema_ref).read_text(encoding="utf-8"))
            source = str(schema_ref)
        else:
            resolved = resolve(schema_ref)
            descriptor, source = resolved.descriptor, resolved.source
    except (SchemaError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    report = validate_file(path, table_format, descriptor, source, Limits.from_config(), encoding=encoding)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(summarise(report))
        for entry in report["errors"]:
            where = f"row {entry['row']}" if entry["row"] is not None else "header"
            click.echo(f"  {where:>10}  {entry['type']:<16} {entry['field'] or '':<20} {entry['message']}")
        for kind, n in sorted(report["warnings"].items()):
            click.echo(f"  warning: {kind}: {n}")
    if report["status"] == "error":
        raise SystemExit(2)
    if report["status"] == "failure":
        raise SystemExit(1)
