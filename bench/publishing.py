"""Benchmark of publishing: the DCAT catalogue's first page and a full push to the national portal.

For N published datasets (default 1,000) it measures, in one run:
  * the first page of /catalog.ttl with our profile, against the stock euro_dcat_ap_3 profile alone;
  * a full `national sync` (our push, one create per dataset) into the second CKAN, against
    ckanapi's own `load` of the same mapped datasets; and our idempotent re-run (nothing changed).

It WIPES the test database of this checkout (.state/test.ini) and the national test portal.
Run it with the services of scripts/test up:
    CITYOPENDATA_NATIONAL_INI=.state/national.ini .venv/bin/python bench/publishing.py --size 1000
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def national_portal_class():  # type: ignore[no-untyped-def]
    """tests/national.py by path: an installed package may own the name `tests`."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cityopendata_tests_national", REPO / "tests" / "national.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.NationalPortal


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="published datasets (default 1000)")
    parser.add_argument("--ini", default=str(REPO / ".state" / "test.ini"))
    args = parser.parse_args()

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    config = load_config(args.ini)
    app = make_app(config)
    flask_app = app._wsgi_app  # type: ignore[attr-defined]
    with flask_app.test_request_context():
        run(flask_app, args.size)


def run(flask_app, size: int) -> None:  # type: ignore[no-untyped-def]
    from ckan import model
    from ckan.plugins import toolkit as tk
    from ckan.tests import helpers

    from ckanext.cityopendata.publishing.national import sync
    from ckanext.cityopendata.publishing.national.ckan_target import CkanNationalTarget
    from ckanext.cityopendata.publishing.national.mapping import to_national
    NationalPortal = national_portal_class()

    print(f"preparing {size} published datasets …", flush=True)
    helpers.reset_db()
    from ckan.cli.db import _resolve_alembic_config, _run_migrations  # type: ignore[attr-defined]

    for plugin in tk.aslist(tk.config.get("ckan.plugins")):
        if os.path.exists(_resolve_alembic_config(plugin)):
            _run_migrations(plugin)
    from ckan.lib.search import clear_all

    clear_all()
    tk.config["ckanext.cityopendata.national.url"] = ""
    site_user = helpers.call_action("get_site_user")["name"]
    context = {"user": site_user, "ignore_auth": True}
    orgs = [helpers.call_action("organization_create", context=dict(context), name=f"so-{i}",
                                title=f"Sở số {i} thành phố Đà Nẵng") for i in range(10)]
    start = time.perf_counter()
    for n in range(size):
        helpers.call_action(
            "package_create", context=dict(context), name=f"du-lieu-{n:05d}", title=f"Dữ liệu mở số {n} của Đà Nẵng",
            notes="Bộ dữ liệu dùng để đo hiệu năng", owner_org=orgs[n % 10]["id"], license_id="cc-by",
            extras=[{"key": "title_en", "value": f"Open data {n}"}, {"key": "update_frequency", "value": "monthly"},
                    {"key": "admin_units", "value": "48,490"}, {"key": "topics", "value": "transport"}],
            resources=[{"name": "CSV", "url": f"https://example.org/files/{n}.csv", "format": "CSV"}],
        )
    print(f"  created in {time.perf_counter() - start:.1f} s", flush=True)

    client = flask_app.test_client()

    def first_page() -> int:
        response = client.get("/catalog.ttl?page=1")
        assert response.status_code == 200, response.status_code
        return len(response.data)

    results = {}
    for label, profiles in (("ours (cityopendata_dcat_ap_3)", "cityopendata_dcat_ap_3"),
                            ("peer (stock euro_dcat_ap_3)", "euro_dcat_ap_3")):
        tk.config["ckanext.dcat.rdf.profiles"] = profiles
        first_page()  # warm-up
        times = []
        for _ in range(3):
            seconds, nbytes = timed(first_page)
            times.append(seconds)
        results[label] = min(times)
        print(f"catalogue first page, {label}: {min(times) * 1000:.0f} ms (best of 3, {nbytes} bytes)", flush=True)
    ours, peer = results.values()
    print(f"  ratio ours/peer: {ours / peer:.2f}", flush=True)
    tk.config["ckanext.dcat.rdf.profiles"] = "cityopendata_dcat_ap_3"

    national = NationalPortal.start()
    try:
        tk.config["ckanext.cityopendata.national.url"] = national.url
        tk.config["ckanext.cityopendata.national.api_token"] = national.api_token
        ids = sync.datasets_to_sync()
        target = CkanNationalTarget()
        seconds, outcomes = timed(lambda: [sync.sync_dataset(i, target=target) for i in ids])
        print(f"full push sync, ours: {seconds:.1f} s for {len(ids)} datasets ({outcomes.count('synced')} synced, "
              f"{len(ids) / seconds:.1f}/s)", flush=True)
        rerun, outcomes = timed(lambda: [sync.sync_dataset(i, target=target) for i in ids])
        print(f"idempotent re-run, ours: {rerun:.1f} s ({outcomes.count('unchanged')} unchanged)", flush=True)

        payloads = []
        for package_id in ids:
            shown = helpers.call_action("package_show", context=dict(context), id=package_id)
            payload = target._payload(to_national(shown))
            payload["name"] = "ckanapi-" + payload["name"]
            payloads.append(payload)
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
            for payload in payloads:
                f.write(json.dumps(payload, ensure_ascii=False) + "\n")
        ckanapi_cli = str(Path(sys.executable).with_name("ckanapi"))
        command = [ckanapi_cli, "load", "datasets", "-I", f.name, "-r", national.url, "-a", national.api_token,
                   "-p", "1", "-q"]
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
        peer_seconds, done = timed(subprocess.run, command, capture_output=True, text=True, env=env)
        os.unlink(f.name)
        if done.returncode != 0:
            print("ckanapi load failed:", done.stderr[-500:].replace(national.api_token, "[token]"))
        print(f"full push, peer (ckanapi load, 1 process): {peer_seconds:.1f} s for {len(payloads)} datasets", flush=True)
        print(f"  ratio ours/peer: {seconds / peer_seconds:.2f}", flush=True)
    finally:
        national.stop()
        model.Session.remove()


if __name__ == "__main__":
    main()
