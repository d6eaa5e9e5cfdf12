"""Datasets for the portal pages' tests, made through the Action API as an agency would."""
from __future__ import annotations

from typing import Any

from ckan.tests import factories, helpers


# Other features' states are produced by those features themselves, never faked with extras.

def submitted(dataset: dict[str, Any], user: dict[str, Any]) -> None:
    """The agency's editor submits a (private, draft) dataset for review: a real workflow transition."""
    helpers.call_action("cityopendata_workflow_transition", context={"user": user["name"], "ignore_auth": False},
                        id=dataset["id"], to="submitted")


def validated(dataset: dict[str, Any], status: str = "success") -> None:
    """Store a finished validation report for each resource, as the validation job does, and reindex."""
    from ckan import model

    from ckanext.cityopendata.validation import jobs, store

    for res in helpers.call_action("package_show", id=dataset["id"])["resources"]:
        row = store.get(res["id"]) or store.mark_pending(res["id"], dataset["id"], jobs.fingerprint(res))
        store.save_report(row, {"status": status, "format": "csv", "rows": 1, "error_counts": {}, "errors": [],
                                "schema": {"source": "inferred"}})
    model.Session.commit()
    jobs.reindex(dataset["id"])


def synced(dataset: dict[str, Any]) -> None:
    """Record a successful push to the national portal in publishing's sync table, as its job does."""
    from ckan import model

    from ckanext.cityopendata.publishing.model import NationalSync, now

    row = model.Session.get(NationalSync, dataset["id"])
    if row is None:
        row = NationalSync(package_id=dataset["id"], package_name=dataset["name"], attempts=0, details={})
        model.Session.add(row)
    row.action, row.status, row.error = "push", "synced", None
    row.remote_id, row.last_attempt, row.last_synced = dataset["name"], now(), now()
    model.repo.commit()


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

    ``overrides`` are fields of the dataset schema."""
    dataset = factories.Dataset(owner_org=org["id"], name=name, title=title, **dict(RICH, **overrides))
    factories.Resource(package_id=dataset["id"], name="data", format="CSV", url="data.csv", url_type="upload")
    return helpers.call_action("package_show", id=dataset["id"])


def bare_dataset(org: dict[str, Any], name: str, title: str, **kwargs: Any) -> dict[str, Any]:
    """A dataset with a title and nothing else, as agencies too often publish."""
    return factories.Dataset(owner_org=org["id"], name=name, title=title, notes="", license_id="other-closed",
                             **kwargs)
