"""Fixtures of the harvest tests: a local HTTP file server, an agency, sources and runs."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests import helpers


class FileServer:
    """Serves ``files[path] = (content_type, body)`` on 127.0.0.1; counts requests per path."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.requests.append(self.path)
                entry = server.files.get(self.path.split("?")[0]) or server.files.get(self.path)
                if entry is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                content_type, body = entry
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def put(self, path: str, body: bytes | str, content_type: str) -> str:
        self.files[path] = (content_type, body.encode("utf-8") if isinstance(body, str) else body)
        return self.url + path

    def stop(self) -> None:
        self.httpd.shutdown()


@pytest.fixture(scope="session")
def _file_server() -> Iterator[FileServer]:
    server = FileServer()
    yield server
    server.stop()


@pytest.fixture
def file_server(_file_server: FileServer) -> FileServer:
    _file_server.files.clear()
    _file_server.requests.clear()
    return _file_server


@pytest.fixture
def agency(clean_db: None, clean_index: None) -> dict[str, Any]:
    sysadmin = factories.Sysadmin()
    org = helpers.call_action("organization_create", context={"user": sysadmin["name"]},
                              name="so-giao-thong-van-tai", title="Sở Giao thông Vận tải")
    org["sysadmin"] = sysadmin["name"]
    return org


def make_source(agency: dict[str, Any], source_type: str, url: str, config: dict[str, Any] | None = None,
                name: str = "nguon-thu") -> dict[str, Any]:
    return helpers.call_action(
        "harvest_source_create", context={"user": agency["sysadmin"]},
        name=name, title=f"Nguồn {name}", url=url, source_type=source_type, owner_org=agency["id"],
        config=json.dumps({"publish_policy": "publish", **(config or {})}), frequency="MANUAL",
    )


def run_harvest(cli: Any, source: str, expect_ok: bool = True) -> str:
    from ckan.cli.cli import ckan

    result = cli.invoke(ckan, ["cityopendata", "harvest", "run", source])
    model.Session.remove()
    print(result.output)
    if expect_ok:
        assert result.exit_code == 0, result.output
    return result.output


def field(dataset: dict[str, Any], key: str) -> Any:
    """A city field, whether the schema declares it (top level) or it is stored as an extra."""
    if key in dataset:
        return dataset[key]
    for extra in dataset.get("extras") or []:
        if extra["key"] == key:
            value = extra["value"]
            if isinstance(value, str) and value[:1] in "[{":
                return json.loads(value)
            return value
    return None


def harvested(source_id: str | None = None, include_private: bool = True) -> list[dict[str, Any]]:
    """Datasets of the portal as a sysadmin sees them in search, by title."""
    fq = f"harvest_source_id:{source_id}" if source_id else ""
    found = helpers.call_action("package_search", context={"ignore_auth": True}, q="*:*", fq=fq, rows=1000,
                                include_private=include_private)
    return sorted(found["results"], key=lambda d: d["title"])


def shown(dataset_id: str) -> dict[str, Any]:
    return helpers.call_action("package_show", context={"ignore_auth": True}, id=dataset_id)


def last_report(source_id: str) -> dict[str, Any]:
    from ckanext.harvest.model import HarvestJob

    job = (model.Session.query(HarvestJob).filter_by(source_id=source_id)
           .order_by(HarvestJob.created.desc()).first())
    return helpers.call_action("cityopendata_harvest_job_report", context={"ignore_auth": True}, id=job.id)


__all__ = ["file_server", "_file_server", "agency", "make_source", "run_harvest", "field", "harvested",
           "shown", "last_report", "tk"]
