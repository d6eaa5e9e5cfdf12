"""The national data portal of the tests: a real, stock CKAN 2.12 run as a second process."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import ckanapi
import requests

CKAN = str(Path(sys.executable).with_name("ckan"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ckan(ini: str, *args: str) -> str:
    done = subprocess.run([CKAN, "-c", ini, *args], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"ckan {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


@dataclass
class NationalPortal:
    ini: str
    url: str
    api_token: str
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls) -> NationalPortal:
        ini = os.environ.get("CITYOPENDATA_NATIONAL_INI")
        if not ini:
            raise RuntimeError("CITYOPENDATA_NATIONAL_INI is not set: run the suite with scripts/test")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        subprocess.run([CKAN, "config-tool", ini, f"ckan.site_url={url}"], check=True, capture_output=True)
        _ckan(ini, "search-index", "clear")
        _ckan(ini, "db", "clean", "--yes")
        _ckan(ini, "db", "upgrade")
        _ckan(ini, "db", "upgrade", "-p", "harvest")
        password = secrets.token_urlsafe(12)
        _ckan(ini, "user", "add", "national_admin", "email=admin@national.test", f"password={password}")
        _ckan(ini, "sysadmin", "add", "national_admin")
        token = _ckan(ini, "user", "token", "add", "national_admin", "tests").strip().splitlines()[-1].strip()
        log = open(Path(ini).with_name("national-web.log"), "wb")
        process = subprocess.Popen(
            [CKAN, "-c", ini, "run", "--host", "127.0.0.1", "--port", str(port), "--disable-reloader"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        portal = cls(ini=ini, url=url, api_token=token, process=process)
        portal._wait_until_up()
        return portal

    def _wait_until_up(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the national CKAN exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/api/3/action/status_show", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the national CKAN did not answer in time")

    def api(self, anonymous: bool = False) -> ckanapi.RemoteCKAN:
        return ckanapi.RemoteCKAN(self.url, apikey=None if anonymous else self.api_token)

    def ckan(self, *args: str) -> str:
        """Run a `ckan` command against the national instance (e.g. the stock harvesters)."""
        return _ckan(self.ini, *args)

    def purge_all(self) -> None:
        """Purge every dataset, harvest source, organisation and group: each test starts from an empty portal."""
        api = self.api()
        found = api.action.package_search(
            q="*:*", fq="dataset_type:*", include_private=True, include_drafts=True, rows=1000
        )
        for dataset in found["results"]:
            api.action.dataset_purge(id=dataset["id"])
        # harvest sources are datasets that ckanext-harvest keeps out of search
        for source in api.action.harvest_source_list():
            try:
                api.action.harvest_source_clear(id=source["id"])
                api.action.dataset_purge(id=source["id"])
            except ckanapi.NotFound:  # its dataset was purged before; the source row stays behind
                pass
        for name in api.action.organization_list():
            api.action.organization_purge(id=name)
        for name in api.action.group_list():
            api.action.group_purge(id=name)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
