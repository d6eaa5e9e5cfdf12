"""Datasets for the portal pages' tests, made through the Action API as an agency would."""
from __future__ import annotations

import json
from typing import Any

from ckan.tests import factories, helpers


def extras(**fields: Any) -> list[dict[str, str]]:
    """Keys other features add to a dataset (validation_status, workflow_state, national_sync_state),
    which the dataset schema does not declare, so they are stored as extras."""
    return [{"key": k, "value": json.dumps(v) if isinstance(v, list) else str(v)} for k, v in fields.items()]


# Hải Châu and Hòa Cường, wards of Đà Nẵng (codes after 1 July 2025).
HAI_CHAU, HOA_CUONG = "20242", "20257"

RICH = dict(
    notes="Danh sách điểm dừng xe buýt công cộng trên địa bàn thành phố Đà Nẵng, có tọa độ.",
    notes_en="Public bus stops of Da Nang with coordinates.",
    license_id="cc-by",
    temporal_start="2024-01-01",
    admin_units=[HAI_CHAU, HOA_CUONG],
    update_frequency="monthly",
    contact_email="opendata@danang.gov.vn",
    topics=["transport"],
)


def rich_dataset(org: dict[str, Any], name: str, title: str, **overrides: Any) -> dict[str, Any]:
    """A well described dataset: open licence, coverage, units, frequency, contact, a CSV upload.

    ``overrides`` are fields of the dataset schema (or ``extras=extras(...)`` for other features' keys)."""
    dataset = factories.Dataset(owner_org=org["id"], name=name, title=title, **dict(RICH, **overrides))
    factories.Resource(package_id=dataset["id"], name="data", format="CSV", url="data.csv", url_type="upload")
    return helpers.call_action("package_show", id=dataset["id"])


def bare_dataset(org: dict[str, Any], name: str, title: str, **kwargs: Any) -> dict[str, Any]:
    """A dataset with a title and nothing else, as agencies too often publish."""
    return factories.Dataset(owner_org=org["id"], name=name, title=title, notes="", license_id="other-closed",
                             **kwargs)
