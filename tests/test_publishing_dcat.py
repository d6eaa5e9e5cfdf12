"""The DCAT-AP 3 catalogue that outside systems read: our profile, paging, only published data."""
from __future__ import annotations


import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT, RDF

from tests.publishing_fixtures import (  # noqa: F401
    FIXTURES, Agency, agency, city_fields, file_server, make_dataset, publish,
)

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
SHAPES = FIXTURES / "dcat-ap-3-mandatory.ttl"


def published_bus_stops(agency: Agency, base: str) -> dict:
    dataset = make_dataset(agency, None, **city_fields())
    from ckan.tests import helpers

    helpers.call_action("resource_create", context={"user": agency.editor["name"], "ignore_auth": False},
                        package_id=dataset["id"], name="Điểm dừng", url=f"{base}/bus-stops.csv", format="CSV",
                        table_schema="bus-stops/1.0")
    return publish(agency, dataset)


def graph_of(app, url: str, fmt: str = "turtle") -> Graph:  # type: ignore[no-untyped-def]
    response = app.get(url)
    assert response.status_code == 200, response.body[:500]
    return Graph().parse(data=response.body, format=fmt)


def test_a_published_dataset_is_described_in_dcat_ap_3_with_the_city_fields(agency: Agency, file_server, app) -> None:  # type: ignore[no-untyped-def]
    base, _ = file_server
    dataset = published_bus_stops(agency, base)
    g = graph_of(app, f"/dataset/{dataset['name']}.ttl")
    ref = next(g.subjects(RDF.type, DCAT.Dataset))
    assert set(g.objects(ref, DCT.title)) == {Literal("Điểm dừng xe buýt Đà Nẵng", lang="vi"),
                                             Literal("Da Nang bus stops", lang="en")}
    assert Literal("Bus stops in the city", lang="en") in set(g.objects(ref, DCT.description))
    from ckanext.cityopendata.publishing.dcat_profile import _list
    from ckanext.cityopendata.publishing.fields import value_of

    units = set(_list(value_of(dataset, "admin_units")))  # current codes (the schema maps old ones)
    assert "48" in units
    assert {str(o).rsplit("/", 1)[-1] for o in g.objects(ref, DCT.spatial)} == units
    assert {str(g.value(o, DCT.identifier)) for o in g.objects(ref, DCT.spatial)} == units
    assert str(g.value(ref, DCT.accrualPeriodicity)).endswith("/frequency/MONTHLY")
    assert any(str(t).endswith("/topics/transport") for t in g.objects(ref, DCAT.theme))
    legal = g.value(ref, DCATAP.applicableLegislation)
    assert str(g.value(legal, DCT.title)) == "Nghị định 47/2020/NĐ-CP"
    publisher = g.value(ref, DCT.publisher)
    assert str(g.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "Sở Giao thông Vận tải"
    contact = g.value(ref, DCAT.contactPoint)
    assert str(g.value(contact, URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"))).endswith("vantai@danang.gov.vn")
    dist = g.value(ref, DCAT.distribution)
    assert str(g.value(dist, DCT.conformsTo)).endswith("/table-schemas/bus-stops/1.0")
    assert g.value(dist, DCT.license) is not None


@pytest.mark.parametrize("suffix, fmt", [("rdf", "xml"), ("ttl", "turtle"), ("jsonld", "json-ld")])
def test_the_catalogue_is_served_in_three_formats_and_passes_the_dcat_ap_3_shapes(
    agency: Agency, file_server, app, suffix: str, fmt: str  # type: ignore[no-untyped-def]
) -> None:
    import pyshacl

    base, _ = file_server
    published_bus_stops(agency, base)
    g = graph_of(app, f"/catalog.{suffix}", fmt)
    assert len(list(g.subjects(RDF.type, DCAT.Dataset))) == 1
    conforms, _, report = pyshacl.validate(g, shacl_graph=Graph().parse(SHAPES), inference="none")
    assert conforms, report


def test_the_catalogue_is_paged(agency: Agency, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ckan.plugins import toolkit as tk

    for n in range(3):
        publish(agency, make_dataset(agency, None, name=f"du-lieu-{n}", title=f"Dữ liệu {n}"))
    monkeypatch.setitem(tk.config, "ckanext.dcat.datasets_per_page", 2)
    first = graph_of(app, "/catalog.ttl?page=1")
    second = graph_of(app, "/catalog.ttl?page=2")
    assert len(list(first.subjects(RDF.type, DCAT.Dataset))) == 2
    assert len(list(second.subjects(RDF.type, DCAT.Dataset))) == 1


def test_unpublished_datasets_never_reach_the_dcat_output(agency: Agency, app) -> None:  # type: ignore[no-untyped-def]
    from ckan.tests import helpers

    from tests.publishing_fixtures import as_user

    make_dataset(agency, None, name="ban-nhap", title="Bản nháp")
    submitted = make_dataset(agency, None, name="cho-duyet", title="Chờ duyệt")
    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.editor), id=submitted["id"], to="submitted")
    withdrawn = publish(agency, make_dataset(agency, None, name="da-rut", title="Đã rút"))
    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.reviewer), id=withdrawn["id"],
                        to="withdrawn", reason="Sai số liệu")
    publish(agency, make_dataset(agency, None, name="cong-khai", title="Công khai"))
    g = graph_of(app, "/catalog.ttl")
    titles = {str(t) for s in g.subjects(RDF.type, DCAT.Dataset) for t in g.objects(s, DCT.title)}
    assert titles == {"Công khai"}
    for name in ("ban-nhap", "cho-duyet", "da-rut"):
        assert app.get(f"/dataset/{name}.ttl").status_code in (403, 404)
        assert app.get(f"/dataset/{name}.jsonld").status_code in (403, 404)
