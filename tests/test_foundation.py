"""The ground everything stands on: CKAN 2.12 with our plugin, real PostgreSQL, Solr and Redis."""
from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml
from ckan import plugins
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers

REPO = Path(__file__).resolve().parents[1]


def test_the_portal_runs_with_our_plugin_and_the_extensions() -> None:
    for name in ("cityopendata", "harvest", "dcat", "datastore", "xloader", "activity"):
        assert plugins.plugin_loaded(name), name


def test_the_cli_group_is_registered(cli) -> None:  # type: ignore[no-untyped-def]
    from ckan.cli.cli import ckan

    result = cli.invoke(ckan, ["cityopendata", "--help"])
    assert result.exit_code == 0, result.output
    assert "seed-demo" in result.output


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_vietnamese_titles_are_read_back_byte_identical() -> None:
    title = "Sở Giao thông Vận tải thành phố Đà Nẵng"
    assert unicodedata.is_normalized("NFC", title)
    org = helpers.call_action(
        "organization_create", context={"user": factories.Sysadmin()["name"]}, name="so-gtvt", title=title
    )
    dataset = factories.Dataset(owner_org=org["id"], title="Điểm dừng xe buýt Đà Nẵng", notes="Dữ liệu mở")
    shown = helpers.call_action("package_show", id=dataset["id"])
    assert shown["title"].encode("utf-8") == "Điểm dừng xe buýt Đà Nẵng".encode()
    assert shown["organization"]["title"].encode("utf-8") == title.encode("utf-8")


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_searching_da_nang_without_diacritics_finds_da_nang_with_them() -> None:
    org = factories.Organization()
    factories.Dataset(owner_org=org["id"], title="Chất lượng không khí Đà Nẵng")
    factories.Dataset(owner_org=org["id"], title="Trường học Hà Nội")
    found = helpers.call_action("package_search", q="Da Nang")
    assert [d["title"] for d in found["results"]] == ["Chất lượng không khí Đà Nẵng"]


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_a_private_dataset_stays_out_of_anonymous_search() -> None:
    org = factories.Organization()
    factories.Dataset(owner_org=org["id"], title="Ngân sách công khai", private=False)
    factories.Dataset(owner_org=org["id"], title="Ngân sách nội bộ", private=True)
    anonymous = {"user": "", "ignore_auth": False}
    for params in ({}, {"include_private": True}, {"fq": "capacity:*"}):
        found = helpers.call_action("package_search", context=dict(anonymous), q="Ngân sách", **params)
        assert [d["title"] for d in found["results"]] == ["Ngân sách công khai"], params


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_an_invalid_dataset_gets_field_errors_and_nothing_is_saved() -> None:
    org = factories.Organization()
    with pytest.raises(tk.ValidationError) as raised:
        helpers.call_action("package_create", name="Tên Không Hợp Lệ!", owner_org=org["id"])
    assert "name" in raised.value.error_dict
    assert helpers.call_action("package_search", q="*:*")["count"] == 0


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_the_home_page_is_served_in_vietnamese(app) -> None:  # type: ignore[no-untyped-def]
    page = app.get("/")
    assert page.status_code == 200
    assert 'lang="vi"' in page.body


def test_the_national_portal_is_a_second_real_ckan(clean_national) -> None:  # type: ignore[no-untyped-def]
    api = clean_national.api()
    api.action.organization_create(name="tinh-thanh-pho", title="Cổng dữ liệu quốc gia")
    api.action.package_create(name="tu-da-nang", title="Dữ liệu từ Đà Nẵng", owner_org="tinh-thanh-pho")
    anonymous = clean_national.api(anonymous=True)
    assert anonymous.action.package_show(id="tu-da-nang")["title"] == "Dữ liệu từ Đà Nẵng"
    assert anonymous.action.package_search(q="Da Nang")["count"] == 1


def test_every_cityopendata_action_has_an_auth_function() -> None:
    from ckan import authz
    from ckan.logic import _actions, get_action  # type: ignore[attr-defined]

    get_action("package_show")  # makes CKAN gather every plugin's actions
    auth_names = set(authz._AuthFunctions.keys())  # type: ignore[attr-defined]
    ours = [name for name in _actions if name.startswith("cityopendata_")]
    missing = [name for name in ours if name not in auth_names]
    assert not missing, f"actions without an auth function: {missing}"


def test_the_production_compose_file_runs_the_whole_stack() -> None:
    compose = yaml.safe_load((REPO / "docker" / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"ckan", "worker", "db", "solr", "redis"} <= set(services)
    assert services["solr"]["image"].startswith("ckan/ckan-solr:2.12-solr9")
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:")
    for name in ("ckan", "worker"):
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"
        assert "env_file" in services[name] or "environment" in services[name]
    for volume in ("pg_data", "solr_data", "ckan_storage"):
        assert volume in compose["volumes"]
    dockerfile = (REPO / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install" in dockerfile and "-e /srv/app/src/ckanext-cityopendata" in dockerfile


def test_the_package_installs_from_its_three_folders() -> None:
    import ckanext.cityopendata as ours
    import ckanext.cityopendata.harvesters as harvesters
    import ckanext.cityopendata.schemas as schemas

    assert Path(ours.__file__).parent.name == "ckanext-cityopendata"
    assert Path(harvesters.__file__).parent.name == "harvesters"
    assert Path(schemas.__file__).parent.name == "schemas"
    out = subprocess.run([sys.executable, "-m", "pip", "show", "ckanext-cityopendata"], capture_output=True, text=True)
    assert "Name: ckanext-cityopendata" in out.stdout
