"""Benchmark: ckanext-harvest's stock `ckan` harvester against ours, on one source CKAN, one run.

    .venv/bin/python bench/harvest.py [--size 1000] [--resources 3] [--changed 0.05] [--processes N]

Needs the services of `scripts/test` (run it once first). It makes its own databases and Solr
cores (cod_bench_*), starts a stock CKAN as the source (tests/national.py's NationalPortal), fills
it with SIZE datasets through ckanapi, then for each harvester, on a target portal reset to empty:
first harvest, re-harvest with nothing changed, re-harvest with CHANGED of the datasets edited.
Both harvesters are driven the same way (ckanext.cityopendata.harvesters.runner.run_source:
gather, then fetch+import per object); only the harvester differs. Ours runs twice: in one process
like the stock harvester, then with its parallel import (N processes; default one per core, at
most 4), so both figures are printed against the same stock run. Times exclude
process start-up. Prints datasets/s and our/stock ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
VENV_BIN = Path(sys.executable).parent
CKAN = str(VENV_BIN / "ckan")


def sh(script: str, stdin: str = "") -> str:
    done = subprocess.run(["bash", "-c", f"source scripts/lib.sh; {script}"], cwd=REPO, input=stdin,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"setup failed: {script}\n{done.stderr[-2000:]}")
    return done.stdout


def ckan(ini: str, *args: str) -> str:
    done = subprocess.run([CKAN, "-c", ini, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"ckan {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def setup() -> tuple[str, str]:
    checkout = sh('echo "$CHECKOUT_ID"').strip()
    source_db, target_db = f"cod_bench_src_{checkout}", f"cod_bench_{checkout}"
    state = REPO / ".state"
    source_ini, target_ini = str(state / "bench-source.ini"), str(state / "bench-target.ini")
    for db in (source_db, target_db):
        sh(f"ensure_database {db}; ensure_database {db}_datastore; ensure_solr_core {db}")
    sh(f'PLUGINS="activity harvest" write_ini {source_ini} {source_db} {source_db} 14 http://127.0.0.1:5930 national',
       "ckan.site_title = Source CKAN (bench)\nckan.locale_default = en\n")
    sh(f"write_ini {target_ini} {target_db} {target_db} 15 http://127.0.0.1:5931 test", "")
    return source_ini, target_ini


def fill(portal, size: int, resources: int) -> None:  # type: ignore[no-untyped-def]
    api = portal.api()
    org = api.action.organization_create(name="so-tai-nguyen", title="Sở Tài nguyên và Môi trường")

    def create(n: int) -> None:
        portal.api().action.package_create(
            name=f"bo-du-lieu-{n:05d}", title=f"Bộ dữ liệu quan trắc môi trường số {n}", owner_org=org["id"],
            notes="Số liệu quan trắc chất lượng không khí tại các trạm của thành phố Đà Nẵng.",
            license_id="cc-by", tags=[{"name": "môi trường"}, {"name": "không khí"}],
            maintainer="Trung tâm Quan trắc", maintainer_email="quantrac@danang.gov.vn",
            resources=[{"url": f"http://example.org/{n}/{r}.csv", "name": f"Tệp {r}", "format": "CSV"}
                       for r in range(resources)],
        )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, range(size)))


def reset_target(ini: str) -> None:
    ckan(ini, "search-index", "clear")
    ckan(ini, "db", "clean", "--yes")
    ckan(ini, "db", "upgrade")
    ckan(ini, "db", "upgrade", "-p", "harvest")
    ckan(ini, "db", "pending-migrations", "--apply")


def worker(ini: str, source_type: str, source_url: str, token: str, size: int, changed: float,
           processes: Optional[int]) -> None:
    """Runs inside one process against the target portal; prints one JSON line of timings."""
    import ckanapi
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from ckan.plugins import toolkit as tk

    app = make_app(load_config(ini))
    with app._wsgi_app.test_request_context():  # type: ignore[attr-defined]
        from ckan import model
        from ckanext.cityopendata.harvesters import runner

        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        context = {"user": site_user, "ignore_auth": True}
        org = tk.get_action("organization_create")(dict(context), {"name": "so-tnmt", "title": "Sở TN&MT"})
        tk.get_action("harvest_source_create")(dict(context), {
            "name": "nguon-bench", "title": "Nguồn bench", "url": source_url, "source_type": source_type,
            "owner_org": org["id"], "frequency": "MANUAL", "config": "{}",
        })
        model.Session.remove()
        timings = {}
        for label in ("first", "unchanged", "changed"):
            if label == "changed":
                api = ckanapi.RemoteCKAN(source_url, apikey=token)
                for n in range(0, size, max(1, round(1 / changed))):
                    api.action.package_patch(id=f"bo-du-lieu-{n:05d}", notes=f"Cập nhật lần {time.time()}")
            started = time.perf_counter()
            if os.environ.get("BENCH_PROFILE") == f"{source_type}:{label}":
                import cProfile
                import pstats

                profile = cProfile.Profile()
                summary = profile.runcall(runner.run_source, runner.find_source("nguon-bench"), workers=processes)
                profile.dump_stats(f"/tmp/bench-harvest-{source_type}-{processes or 0}-{label}.prof")
                pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
            else:
                summary = runner.run_source(runner.find_source("nguon-bench"), workers=processes)
            timings[label] = {"seconds": time.perf_counter() - started, "summary": summary.line(),
                              "failed": summary.failed}
            model.Session.remove()
        count = tk.get_action("package_search")(dict(context), {"q": "*:*", "rows": 0, "include_private": True,
                                                                "fq": "-dataset_type:harvest"})["count"]
        timings["datasets"] = count
        timings["processes"] = runner.import_workers(size, processes) if source_type != "ckan" else 1
        print("BENCH " + json.dumps(timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--resources", type=int, default=3)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--processes", type=int, default=0,
                        help="import processes of our harvester's second run (0: its default, one per core)")
    parser.add_argument("--worker", nargs=5, metavar=("INI", "TYPE", "URL", "TOKEN", "PROCESSES"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        *rest, processes = args.worker
        worker(*rest, size=args.size, changed=args.changed, processes=int(processes) or None)
        return

    from tests.national import NationalPortal

    source_ini, target_ini = setup()
    os.environ["CITYOPENDATA_NATIONAL_INI"] = source_ini
    print(f"source CKAN: starting, filling with {args.size} datasets × {args.resources} resources …", flush=True)
    portal = NationalPortal.start()
    try:
        started = time.perf_counter()
        fill(portal, args.size, args.resources)
        print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
        results = {}
        runs = (("stock ckan", "ckan", 1), ("ours, 1 process", "cityopendata_ckan", 1),
                ("ours, parallel import", "cityopendata_ckan", args.processes))
        for label, source_type, processes in runs:
            print(f"{label}: resetting the target portal, harvesting …", flush=True)
            reset_target(target_ini)
            done = subprocess.run(
                [sys.executable, __file__, "--size", str(args.size), "--changed", str(args.changed),
                 "--worker", target_ini, source_type, portal.url, portal.api_token, str(processes)],
                cwd=REPO, capture_output=True, text=True)
            line = [x for x in done.stdout.splitlines() if x.startswith("BENCH ")]
            if os.environ.get("BENCH_PROFILE"):
                Path(f"/tmp/bench-profile-{source_type}.txt").write_text(done.stderr)
            if done.returncode != 0 or not line:
                raise SystemExit(f"{label} failed:\n{done.stderr[-3000:]}")
            results[label] = json.loads(line[0][6:])
            for phase in ("first", "unchanged", "changed"):
                r = results[label][phase]
                print(f"  {phase:9s} {r['seconds']:8.2f} s  {args.size / r['seconds']:8.1f} datasets/s  {r['summary']}",
                      flush=True)
            print(f"  datasets in the portal: {results[label]['datasets']}")
    finally:
        portal.stop()
    stock = results["stock ckan"]
    print(f"\nsize {args.size} datasets × {args.resources} resources, {args.changed:.0%} changed")
    targets = {"first": 3, "unchanged": 20, "changed": None}
    for label in ("ours, 1 process", "ours, parallel import"):
        ours = results[label]
        print(f"{label} ({ours['processes']} process(es) on {os.cpu_count()} cores) against stock ckanext-harvest:")
        for phase, target in targets.items():
            ratio = stock[phase]["seconds"] / ours[phase]["seconds"]
            goal = f" (target ≥ {target}×: {'met' if ratio >= target else 'NOT met'})" if target else ""
            print(f"  {phase:9s} stock {args.size / stock[phase]['seconds']:8.1f} ds/s   ours "
                  f"{args.size / ours[phase]['seconds']:8.1f} ds/s   ours/stock {ratio:6.1f}×{goal}")

if __name__ == "__main__":
    main()
