"""Demo data for the portal brought up by the README: Đà Nẵng agencies and their datasets."""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import ckanapi
from ckanext.cityopendata.text import nfc_deep


def load_demo() -> dict[str, Any]:
    """The demo catalogue (agencies, datasets, resource files) shipped with the package."""
    with resources.files(__package__).joinpath("catalogue.json").open(encoding="utf-8") as f:
        return nfc_deep(json.load(f))


def _exists(ckan: ckanapi.LocalCKAN, action: str, name: str) -> dict[str, Any] | None:
    try:
        return ckan.call_action(action, {"id": name})
    except ckanapi.NotFound:
        return None


def seed(progress: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    """Create the demo agencies and datasets that are missing; leave existing ones as they are."""
    ckan = ckanapi.LocalCKAN()
    catalogue = load_demo()
    counts = {"agencies_created": 0, "datasets_created": 0, "unchanged": 0}
    for agency in catalogue["agencies"]:
        if _exists(ckan, "organization_show", agency["name"]):
            counts["unchanged"] += 1
        else:
            ckan.call_action("organization_create", agency)
            counts["agencies_created"] += 1
        progress(agency["title"])
    for dataset in catalogue["datasets"]:
        files = {r["name"]: r.pop("content") for r in dataset["resources"]}
        wanted = dataset.pop("resources")
        existing = _exists(ckan, "package_show", dataset["name"])
        if existing is None:
            existing = ckan.call_action("package_create", dataset)
            counts["datasets_created"] += 1
        else:
            counts["unchanged"] += 1
        # Resources are created one by one (each is an upload); a run cut short is completed later.
        have = {r["name"] for r in existing.get("resources", [])}
        for resource in wanted:
            if resource["name"] in have:
                continue
            upload = io.BytesIO(files[resource["name"]].encode("utf-8"))
            upload.name = resource["name"] + ".csv"
            ckan.call_action(
                "resource_create", dict(resource, package_id=dataset["name"]), files={"upload": upload}
            )
        progress(dataset["title"])
    return counts
