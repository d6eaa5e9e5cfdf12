"""The Table Schema catalogue and the vocabularies: data files, Action API and stable URLs."""

from __future__ import annotations

import json

import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import helpers
from ckanext.cityopendata.metadata import table_schemas
from frictionless import Resource, Schema, validate

CATALOGUE = sorted(table_schemas.catalogue())
ANONYMOUS = {"user": "", "ignore_auth": False}


def _report(schema_id: str, kind: str):  # type: ignore[no-untyped-def]
    found = table_schemas.catalogue()[schema_id]
    schema = Schema.from_descriptor(found.descriptor)
    return validate(Resource(found.example(kind).encode("utf-8"), format="csv", schema=schema))


def test_the_catalogue_has_the_standard_city_tables() -> None:
    names = {s.split("/")[0] for s in CATALOGUE}
    assert len(names) >= 10
    assert {
        "bus-stops",
        "schools",
        "health-facilities",
        "air-quality-readings",
        "public-wifi",
        "administrative-procedure-statistics",
        "budget-execution",
        "tourist-accommodation",
        "traffic-incidents",
        "land-use-plans",
    } <= names


@pytest.mark.parametrize("schema_id", CATALOGUE)
def test_each_schema_is_bilingual_typed_constrained_and_keyed(schema_id: str) -> None:
    d = table_schemas.catalogue()[schema_id].descriptor
    assert Schema.validate_descriptor(d).valid
    assert d["title"] and d["title_en"] and d["description"] and d["description_en"]
    assert d["version"] == schema_id.split("/")[1]
    assert d["primaryKey"] and all(k in [f["name"] for f in d["fields"]] for k in d["primaryKey"])
    assert all(f["title"] and f["title_en"] and f["type"] for f in d["fields"])
    assert any(f.get("constraints") for f in d["fields"])


@pytest.mark.parametrize("schema_id", CATALOGUE)
def test_each_schema_accepts_its_valid_example(schema_id: str) -> None:
    report = _report(schema_id, "valid")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


@pytest.mark.parametrize("schema_id", CATALOGUE)
def test_each_schema_rejects_its_invalid_example(schema_id: str) -> None:
    report = _report(schema_id, "invalid")
    assert not report.valid
    assert {e.type for e in report.tasks[0].errors} & {
        "type-error",
        "constraint-error",
        "primary-key",
        "unique-error",
    }


def test_vietnamese_dates_and_numbers_are_read_as_such() -> None:
    budget = table_schemas.get("budget-execution")
    assert budget is not None
    rows = Resource(
        budget.example("valid").encode(), format="csv", schema=Schema.from_descriptor(budget.descriptor)
    ).read_rows()
    assert str(rows[0]["thuc_hien"]) == "15876000.5"  # "15.876.000,5"
    stops = table_schemas.get("bus-stops/1.0")
    assert stops is not None
    rows = Resource(
        stops.example("valid").encode(), format="csv", schema=Schema.from_descriptor(stops.descriptor)
    ).read_rows()
    assert rows[0]["ngay_cap_nhat"].isoformat() == "2025-07-15"  # "15/07/2025"


def test_anyone_lists_and_fetches_the_table_schemas_through_the_api() -> None:
    listed = helpers.call_action("cityopendata_table_schema_list", context=dict(ANONYMOUS))
    assert len(listed) >= 10
    stops = next(s for s in listed if s["name"] == "bus-stops")
    assert (
        stops["id"] == "bus-stops/1.0"
        and stops["title"] == "Điểm dừng xe buýt"
        and stops["title_en"] == "Bus stops"
    )
    assert stops["url"].endswith("/schemas/tables/bus-stops/1.0/schema.json")
    shown = helpers.call_action("cityopendata_table_schema_show", context=dict(ANONYMOUS), id="bus-stops/1.0")
    assert shown["primaryKey"] == ["ma_diem_dung"] and shown["id"] == "bus-stops/1.0"
    assert (
        helpers.call_action("cityopendata_table_schema_show", context=dict(ANONYMOUS), id="bus-stops")[
            "version"
        ]
        == "1.0"
    )
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("cityopendata_table_schema_show", context=dict(ANONYMOUS), id="bus-stops/9.9")
    with pytest.raises(tk.ValidationError):
        helpers.call_action("cityopendata_table_schema_show", context=dict(ANONYMOUS))


def test_each_schema_version_has_a_stable_url_serving_its_json(app) -> None:  # type: ignore[no-untyped-def]
    for schema_id in CATALOGUE:
        name, version = schema_id.split("/")
        response = app.get(f"/schemas/tables/{name}/{version}/schema.json")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/json")
        assert json.loads(response.body) == table_schemas.catalogue()[schema_id].descriptor
    assert app.get("/schemas/tables/bus-stops/9.9/schema.json", status=404).status_code == 404
    example = app.get("/schemas/tables/bus-stops/1.0/valid.csv")
    assert example.body.startswith("ma_diem_dung,")


def test_the_catalogue_page_lists_every_schema(app) -> None:  # type: ignore[no-untyped-def]
    page = app.get("/schemas/tables")
    assert page.status_code == 200
    for schema_id in CATALOGUE:
        assert f"/schemas/tables/{schema_id}" in page.body
    assert "Điểm dừng xe buýt" in page.body
    one = app.get("/schemas/tables/air-quality-readings/1.0")
    assert "pm2_5" in one.body and "%d/%m/%Y %H:%M" in one.body


def test_anyone_reads_the_vocabularies_through_the_api() -> None:
    names = [v["name"] for v in helpers.call_action("cityopendata_vocabulary_list", context=dict(ANONYMOUS))]
    assert {"topics", "licences", "update_frequencies", "admin_units"} <= set(names)
    licences = helpers.call_action("cityopendata_vocabulary_show", context=dict(ANONYMOUS), id="licences")[
        "items"
    ]
    openness = [item["open"] for item in licences]
    assert openness == sorted(openness, reverse=True) and openness[0]  # open licences first
    assert all(item["vi"] and item["en"] for item in licences)
    frequencies = helpers.call_action(
        "cityopendata_vocabulary_show", context=dict(ANONYMOUS), id="update_frequencies"
    )
    assert {"daily", "weekly", "monthly", "quarterly", "yearly", "irregular", "realtime"} <= {
        i["code"] for i in frequencies["items"]
    }
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("cityopendata_vocabulary_show", context=dict(ANONYMOUS), id="nope")


def test_the_administrative_units_are_the_34_provinces_and_3321_communes_of_2025() -> None:
    units = helpers.call_action("cityopendata_vocabulary_show", context=dict(ANONYMOUS), id="admin_units")
    levels = [u["level"] for u in units["items"]]
    assert (levels.count("province"), levels.count("commune")) == (34, 3321)
    da_nang = helpers.call_action(
        "cityopendata_vocabulary_show", context=dict(ANONYMOUS), id="admin_units", province="48"
    )
    hai_chau = next(u for u in da_nang["items"] if u["code"] == "20242")
    assert hai_chau["vi"] == "Phường Hải Châu" and "Quận Hải Châu" in hai_chau["former_names"]
    can_tho = next(u for u in units["items"] if u["code"] == "92")
    assert "Tỉnh Hậu Giang" in can_tho["former_names"]


def test_every_licence_of_ckans_register_is_offered_so_harvested_datasets_keep_theirs() -> None:
    from ckan import model

    offered = {i["code"] for i in helpers.call_action("cityopendata_vocabulary_show", id="licences")["items"]}
    assert {lic.id for lic in model.Package.get_license_register().values()} <= offered
