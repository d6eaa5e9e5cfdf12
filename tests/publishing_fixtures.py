"""Fixtures of the publishing tests: agencies and their people, a file server, an SMTP server,
our portal served over HTTP for the national portal's harvesters."""
from __future__ import annotations

import email
import email.policy
import functools
import http.server
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from ckan.plugins import toolkit as tk
from ckan.tests import factories

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "publishing"
CKAN = str(Path(sys.executable).with_name("ckan"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Agency:
    org: dict[str, Any]
    editor: dict[str, Any]
    admin: dict[str, Any]
    reviewer: dict[str, Any]
    outsider: dict[str, Any]


@pytest.fixture
def agency(clean_db, clean_index, monkeypatch) -> Agency:  # type: ignore[no-untyped-def]
    """An agency (Sở GTVT) with an editor and an admin, a city reviewer, and a user of another agency."""
    editor = factories.User(name="bien-tap-vien", email="editor@agency.test")
    admin = factories.User(name="truong-phong", email="admin@agency.test")
    reviewer = factories.User(name="tham-dinh-vien", email="reviewer@city.test")
    outsider = factories.User(name="nguoi-ngoai", email="outsider@other.test")
    org = factories.Organization(
        name="so-gtvt", title="Sở Giao thông Vận tải",
        users=[{"name": editor["name"], "capacity": "editor"}, {"name": admin["name"], "capacity": "admin"}],
    )
    factories.Organization(name="so-y-te", title="Sở Y tế", users=[{"name": outsider["name"], "capacity": "editor"}])
    monkeypatch.setitem(tk.config, "ckanext.cityopendata.publishing.reviewers", [reviewer["name"]])
    return Agency(org, editor, admin, reviewer, outsider)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def file_server(tmp_path_factory) -> Iterator[tuple[str, Path]]:  # type: ignore[no-untyped-def]
    """A plain HTTP server for the resources' files: (base URL, folder)."""
    folder = tmp_path_factory.mktemp("publishing-files")
    for path in FIXTURES.glob("*.csv"):
        shutil.copy(path, folder / path.name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()


@dataclass
class Mailbox:
    messages: list[email.message.Message] = field(default_factory=list)

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.messages if address in (m["To"] or "")]


@pytest.fixture
def mailbox(monkeypatch) -> Iterator[Mailbox]:  # type: ignore[no-untyped-def]
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what CKAN's mailer sends."""
    from aiosmtpd.controller import Controller

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            box.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(tk.config, "smtp.server", f"127.0.0.1:{port}")
    monkeypatch.setitem(tk.config, "smtp.mail_from", "portal@cityopendata.test")
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class ServedPortal:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def served_portal(tmp_path_factory) -> Iterator[ServedPortal]:  # type: ignore[no-untyped-def]
    """Our test portal (same database and Solr core as the tests) as a real HTTP server."""
    test_ini = Path(tk.config["__file__"]) if "__file__" in tk.config else Path(".state/test.ini")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ini = test_ini.with_name("publishing-served.ini")
    shutil.copy(test_ini, ini)
    subprocess.run([CKAN, "config-tool", str(ini), f"ckan.site_url={url}"], check=True, capture_output=True)
    log = open(test_ini.with_name("publishing-served.log"), "wb")
    process = subprocess.Popen(
        [CKAN, "-c", str(ini), "run", "--host", "127.0.0.1", "--port", str(port), "--disable-reloader"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError("our served portal exited")
        try:
            if requests.get(f"{url}/api/3/action/status_show", timeout=2).ok:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("our served portal did not answer in time")
        time.sleep(0.5)
    try:
        yield ServedPortal(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def as_user(user: dict[str, Any] | None) -> dict[str, Any]:
    """An action context for a person (no ignore_auth), or for an anonymous visitor."""
    return {"user": user["name"] if user else "", "ignore_auth": False}


def make_dataset(agency: Agency, file_url: str | None = None, **fields: Any) -> dict[str, Any]:
    """A draft the agency's editor creates through the API, like the form does."""
    from ckan.tests import helpers

    data = {
        "name": "diem-dung-xe-buyt",
        "title": "Điểm dừng xe buýt Đà Nẵng",
        "notes": "Danh sách điểm dừng xe buýt trên địa bàn thành phố",
        "owner_org": agency.org["id"],
        "license_id": "cc-by",
    }
    data.update(fields)
    if file_url:
        data["resources"] = [{"name": "Dữ liệu", "url": file_url, "format": "CSV"}]
    return helpers.call_action("package_create", context=as_user(agency.editor), **data)


CITY_FIELDS: dict[str, Any] = {
    "title_en": "Da Nang bus stops",
    "notes_en": "Bus stops in the city",
    "topics": ["transport"],
    "admin_units": ["48", "490"],
    "update_frequency": "monthly",
    "contact_name": "Phòng Quản lý vận tải",
    "contact_email": "vantai@danang.gov.vn",
    "legal_basis": "Nghị định 47/2020/NĐ-CP",
    "language": "vi",
}


def city_fields(**overrides: Any) -> dict[str, Any]:
    """Our schema's fields, top-level when the scheming schema is loaded, else as free extras."""
    from ckan.plugins import plugin_loaded

    fields = dict(CITY_FIELDS, **overrides)
    if plugin_loaded("scheming_datasets"):
        return fields
    return {"extras": [{"key": k, "value": ",".join(v) if isinstance(v, list) else v} for k, v in fields.items()]}


def publish(agency: Agency, dataset: dict[str, Any]) -> dict[str, Any]:
    from ckan.tests import helpers

    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.editor), id=dataset["id"], to="submitted")
    helpers.call_action("cityopendata_workflow_transition", context=as_user(agency.reviewer), id=dataset["id"], to="published")
    return helpers.call_action("package_show", context=as_user(None), id=dataset["id"])


@pytest.fixture
def national(clean_national, monkeypatch):  # type: ignore[no-untyped-def]
    """The second CKAN, emptied, as the national portal our publishing pushes to (no retry delay)."""
    monkeypatch.setitem(tk.config, "ckanext.cityopendata.national.url", clean_national.url)
    monkeypatch.setitem(tk.config, "ckanext.cityopendata.national.api_token", clean_national.api_token)
    monkeypatch.setitem(tk.config, "ckanext.cityopendata.national.retry_delay", "0")
    return clean_national
