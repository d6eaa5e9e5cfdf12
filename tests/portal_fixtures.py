"""Datasets for the portal pages' tests, made through the Action API as an agency would."""
from __future__ import annotations

import json
from typing import Any

from ckan.tests import factories, helpers


def extras(**fields: Any) -> list[dict[str, str]]:
    """Schema fields as extras, so the tests do not depend on the schemas feature being loaded."""
    return [{"key": k, "value": json.dumps(v) if isinstance(v, list) else str(v)} for k, v in fields.items()]


RICH = dict(
    notes="Danh sách điểm dừng xe buýt công cộng trên địa bàn thành phố Đà Nẵng, có tọa độ.",
    license_id="cc-by",
)
RICH_EXTRAS = dict(
    notes_en="Public bus stops of Da Nang with coordinates.",
    temporal_start="2024-01-01",
    admin_units=["20194", "20197"],
    update_frequency="monthly",
    contact_email="opendata@danang.gov.vn",
    topics=["giao-thong"],
)


def rich_dataset(org: dict[str, Any], name: str, title: str, **overrides: Any) -> dict[str, Any]:
    """A well described dataset: open licence, coverage, units, frequency, contact, a CSV upload."""
    fields = dict(RICH_EXTRAS, **overrides.pop("extra_fields", {}))
    dataset = factories.Dataset(owner_org=org["id"], name=name, title=title, extras=extras(**fields),
                                **dict(RICH, **overrides))
    factories.Resource(package_id=dataset["id"], name="data", format="CSV", url="data.csv", url_type="upload")
    return helpers.call_action("package_show", id=dataset["id"])


def bare_dataset(org: dict[str, Any], name: str, title: str, **kwargs: Any) -> dict[str, Any]:
    """A dataset with a title and nothing else, as agencies too often publish."""
    return factories.Dataset(owner_org=org["id"], name=name, title=title, notes="", license_id="other-closed",
                             **kwargs)
