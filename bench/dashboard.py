"""Benchmark: the open-data dashboard for 100 agencies and 10,000 datasets, against a naive peer.

Ours: ``cityopendata_dashboard_show`` and the rendered /open-data page (search facets and our
tables only). Peer: what a dashboard built the obvious way does, a loop of ``package_show`` over
every dataset, counting in Python. Both run in the same process on the same data.

The datasets are made fast: rows inserted into ``package`` in bulk and documents posted to Solr in
batches (the same fields CKAN's indexer writes), so the run takes about a minute, not an hour.
Everything the benchmark adds is named ``bench-…`` and removed at the end.

    .venv/bin/python bench/dashboard.py [-c .state/test.ini] [--agencies 100] [--datasets 10000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
FREQUENCIES = ["daily", "weekly", "monthly", "quarterly", "yearly", "irregular"]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def make_world(agencies: int, datasets: int, seed: int = 9) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from ckan import model
    from ckan.lib.search.common import make_connection
    from ckan.plugins import toolkit as tk

    rng = random.Random(seed)
    now = dt.datetime.utcnow()
    orgs = [{"id": str(uuid.uuid4()), "name": f"bench-agency-{i:03d}", "title": f"Sở thử nghiệm {i:03d}",
             "type": "organization", "is_organization": True, "state": "active", "approval_status": "approved",
             "created": now, "extras": {}} for i in range(agencies)]
    model.Session.execute(model.group_table.insert(), orgs)
    pkgs, docs = [], []
    site_id = tk.config.get("ckan.site_id")
    for i in range(datasets):
        org = orgs[i % agencies] if i % 7 else orgs[i % max(1, agencies - 5)]  # a few agencies publish nothing
        modified = now - dt.timedelta(days=rng.randint(0, 400))
        private = rng.random() < 0.1
        extras = {"update_frequency": rng.choice(FREQUENCIES),
                  "validation_status": rng.choice(["success", "success", "failure", "pending"]),
                  "national_sync_state": rng.choice(["synced", "synced", "pending"]),
                  "workflow_state": "submitted" if private and rng.random() < 0.5 else ("draft" if private else "published")}
        pkg = {"id": str(uuid.uuid4()), "name": f"bench-dataset-{i:05d}", "title": f"Bộ dữ liệu thử nghiệm {i}",
               "owner_org": org["id"], "type": "dataset", "state": "active", "private": private,
               "license_id": "cc-by", "notes": "Dữ liệu thử nghiệm cho bảng điều khiển.",
               "metadata_created": modified, "metadata_modified": modified, "extras": extras}
        pkgs.append(pkg)
        shown = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in pkg.items() if k != "extras"}
        shown.update(extras, organization={"name": org["name"], "title": org["title"]}, resources=[], tags=[])
        docs.append(dict(
            {k: v for k, v in shown.items() if k not in ("organization", "resources", "tags", "private", "type")},
            organization=org["name"], capacity="private" if private else "public", dataset_type="dataset",
            entity_type="package", site_id=site_id,
            index_id=hashlib.md5(f"{pkg['id']}{site_id}".encode()).hexdigest(),
            metadata_created=shown["metadata_created"] + "Z", metadata_modified=shown["metadata_modified"] + "Z",
            permission_labels=[f"member-{org['id']}"] if private else ["public"],
            quality_score=f"{rng.randint(0, 100):03d}",
            data_dict=json.dumps(shown), validated_data_dict=json.dumps(shown),
        ))
    for start in range(0, len(pkgs), 2000):
        model.Session.execute(model.package_table.insert(), pkgs[start:start + 2000])
    model.Session.commit()
    solr = make_connection()
    for start in range(0, len(docs), 2000):
        solr.add(docs[start:start + 2000], commit=False)
    solr.commit()
    return orgs, pkgs


def clean_world() -> None:
    from ckan import model
    from ckan.lib.search.common import make_connection
    from ckan.plugins import toolkit as tk

    solr = make_connection()
    solr.delete(q=f'site_id:"{tk.config.get("ckan.site_id")}" AND name:bench-*', commit=True)
    model.Session.execute(model.package_table.delete().where(model.package_table.c.name.like("bench-dataset-%")))
    model.Session.execute(model.group_table.delete().where(model.group_table.c.name.like("bench-agency-%")))
    user = model.User.by_name("bench-sysadmin")
    if user:
        model.Session.execute(model.ApiToken.__table__.delete().where(model.ApiToken.__table__.c.user_id == user.id))
        model.Session.execute(model.user_table.delete().where(model.user_table.c.id == user.id))
    model.Session.commit()


def naive_dashboard(pkgs: list[dict[str, Any]], context: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The peer: one package_show per dataset, counted in Python."""
    from ckan.plugins import toolkit as tk

    from ckanext.cityopendata.portal import quality

    per: dict[str, dict[str, int]] = {}
    show = tk.get_action("package_show")
    for pkg in pkgs:
        dataset = show(dict(context), {"id": pkg["id"]})
        if dataset["private"]:
            continue
        row = per.setdefault(dataset["organization"]["name"], {"published": 0, "valid": 0, "overdue": 0})
        extras = {e["key"]: e["value"] for e in dataset.get("extras", [])}  # older layouts
        row["published"] += 1
        dataset = dict(extras, **dataset)
        row["valid"] += dataset.get("validation_status") == "success"
        row["overdue"] += quality.is_overdue(dataset)
    return per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", default=str(REPO / ".state/test.ini"))
    parser.add_argument("--agencies", type=int, default=100)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer-sample", type=int, default=0, help="run the peer on the first N datasets only")
    args = parser.parse_args()

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(args.config))
    flask_app = app._wsgi_app  # type: ignore[attr-defined]
    with flask_app.test_request_context():
        from ckan import model
        from ckan.plugins import toolkit as tk

        clean_world()
        start = time.perf_counter()
        orgs, pkgs = make_world(args.agencies, args.datasets)
        made = time.perf_counter() - start
        admin = model.User(name="bench-sysadmin", email="bench@example.vn", sysadmin=True)
        model.Session.add(admin)
        model.Session.commit()
        token = tk.get_action("api_token_create")({"user": admin.name, "ignore_auth": True},
                                                   {"user": admin.name, "name": "bench"})["token"]
    print(f"made {len(orgs)} agencies and {len(pkgs)} datasets in {made:.1f} s (bulk rows + Solr documents)")

    try:
        client = flask_app.test_client()
        with flask_app.test_request_context():
            from ckan.plugins import toolkit as tk

            public_s, board = timed(lambda: tk.get_action("cityopendata_dashboard_show")({"user": ""}, {}), args.repeat)
            detail_s, detail = timed(
                lambda: tk.get_action("cityopendata_dashboard_show")({"user": "bench-sysadmin"}, {}), args.repeat)
        page_s, response = timed(lambda: client.get("/open-data"), args.repeat)
        assert response.status_code == 200, response.status_code
        admin_page_s, response = timed(lambda: client.get("/open-data", headers={"Authorization": token}), args.repeat)
        assert response.status_code == 200 and b'data-cod-detail="yes"' in response.data
        print(f"ours   action, public summary      : {public_s * 1000:8.1f} ms (median of {args.repeat})")
        print(f"ours   action, sysadmin detail     : {detail_s * 1000:8.1f} ms")
        print(f"ours   page /open-data, anonymous  : {page_s * 1000:8.1f} ms")
        print(f"ours   page /open-data, sysadmin   : {admin_page_s * 1000:8.1f} ms")
        print(f"       published {board['datasets_published']}, agencies publishing "
              f"{board['agencies_publishing']}/{board['agencies_total']}, valid {board['shares']['valid']}%")

        with flask_app.test_request_context():
            start = time.perf_counter()
            sample = pkgs if args.peer_sample <= 0 else pkgs[:args.peer_sample]
            full = len(sample) == len(pkgs)
            per = naive_dashboard(sample, {"user": "bench-sysadmin"})
            measured = time.perf_counter() - start
            peer_s = measured * len(pkgs) / len(sample)
        if full:
            print(f"peer   package_show loop ({len(pkgs)})   : {peer_s * 1000:8.1f} ms")
        else:
            print(f"peer   package_show loop: {len(sample)} datasets in {measured * 1000:.1f} ms, "
                  f"so {peer_s * 1000:.1f} ms for {len(pkgs)} (linear; --peer-sample 0 runs them all)")
        ours = {a["name"]: (a["published"], a["valid"], a["overdue"]) for a in board["agencies"] if a["published"]}
        theirs = {k: (v["published"], v["valid"], v["overdue"]) for k, v in per.items()}
        sample = {k: theirs[k] for k in list(theirs)}
        same = all(ours.get(k) == v for k, v in sample.items()) if full else None
        if full:
            print(f"same per-agency figures as the peer: {same}")
            if not same:
                print("  differences:", {k: (ours.get(k), v) for k, v in sample.items() if ours.get(k) != v})
        print(f"ratio peer / ours (page, sysadmin): {peer_s / admin_page_s:.0f}x; "
              f"under 1 s: {'yes' if max(page_s, admin_page_s) < 1 else 'NO'}")
    finally:
        with flask_app.test_request_context():
            clean_world()


if __name__ == "__main__":
    main()
