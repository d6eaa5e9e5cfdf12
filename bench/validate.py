"""Benchmark: our validation pipeline vs the `frictionless validate` CLI vs a plain csv.reader floor.

Generates CSVs of Vietnamese bus stops (diacritics, dd/mm/yyyy dates, "1.234,56" decimals) of 100k and
1M rows, validates each with the three runners in separate processes in the same run, and prints
rows/s, peak RSS of each runner's whole process tree (sampled from /proc) and the ratios.

    .venv/bin/python bench/validate.py              # 100k and 1M rows
    .venv/bin/python bench/validate.py --rows 200000 --skip-cli
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DISTRICTS = ["Hải Châu", "Thanh Khê", "Sơn Trà", "Ngũ Hành Sơn", "Liên Chiểu", "Cẩm Lệ", "Hòa Vang"]
STREETS = ["Bạch Đằng", "Điện Biên Phủ", "Võ Nguyên Giáp", "Nguyễn Văn Linh", "Trần Phú", "Lê Duẩn",
           "Hùng Vương", "Ông Ích Khiêm", "Nguyễn Tất Thành", "Phạm Văn Đồng"]
SCHEMA = {
    "fields": [
        {"name": "mã", "type": "integer", "constraints": {"required": True, "minimum": 1}},
        {"name": "tên trạm", "type": "string", "constraints": {"required": True, "maxLength": 80}},
        {"name": "quận", "type": "string", "constraints": {"enum": DISTRICTS}},
        {"name": "ngày lắp đặt", "type": "date", "format": "%d/%m/%Y"},
        {"name": "chi phí", "type": "number", "decimalChar": ",", "groupChar": "."},
        {"name": "ghi chú", "type": "string"},
    ]
}


def generate(path: Path, rows: int) -> None:
    rnd = random.Random(2026)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f["name"] for f in SCHEMA["fields"]])
        for i in range(1, rows + 1):
            money = rnd.randint(1000, 99_999_999)
            writer.writerow([
                i,
                f"Trạm {rnd.choice(STREETS)} số {rnd.randint(1, 500)}",
                rnd.choice(DISTRICTS),
                f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{rnd.randint(2000, 2025)}",
                f"{money // 100:,}".replace(",", ".") + f",{money % 100:02d}",
                "Gần chợ, có mái che" if rnd.random() < 0.3 else "",
            ])


# Runners (each in its own process) -----------------------------------------------------------------

def run_ours(path: str, schema: str) -> None:
    sys.path.insert(0, str(REPO))
    from ckanext.cityopendata.validation.limits import Limits
    from ckanext.cityopendata.validation.pipeline import validate_file

    report = validate_file(Path(path), "csv", json.loads(Path(schema).read_text()), "bench",
                           Limits(max_bytes=10**10, max_rows=10**8, max_seconds=10**6))
    print(json.dumps({"rows": report["rows"], "status": report["status"], "errors": report["error_counts"]}))


def run_floor(path: str, schema: str) -> None:
    """A plain csv.reader pass that parses the same types and checks the same constraints."""
    districts = set(DISTRICTS)
    rows = bad = 0
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for code, name, district, day, money, _note in reader:
            rows += 1
            try:
                ok = int(code) >= 1 and 0 < len(name) <= 80 and (not district or district in districts)
                if day:
                    date(int(day[6:10]), int(day[3:5]), int(day[0:2]))
                if money:
                    Decimal(money.replace(".", "").replace(",", "."))
            except ValueError:
                ok = False
            bad += not ok
    print(json.dumps({"rows": rows, "status": "failure" if bad else "success"}))


def measure(argv: list[str], cwd: Path) -> dict[str, float]:
    """Run ``argv``; wall time and the peak summed RSS of its process tree, sampled from /proc."""
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=cwd)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.05)
    wall = time.monotonic() - started
    out = process.stdout.read() if process.stdout else ""
    return {"seconds": wall, "rss_mb": peak / 1024 / 1024, "output": out.strip()[-300:]}  # type: ignore[dict-item]


def tree_rss(pid: int) -> int:
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{current}/task/{current}/children") as children:
                pending.extend(int(c) for c in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--run", nargs=3, metavar=("RUNNER", "PATH", "SCHEMA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        {"ours": run_ours, "floor": run_floor}[args.run[0]](args.run[1], args.run[2])
        return
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        schema = Path(tmp) / "schema.json"
        schema.write_text(json.dumps(SCHEMA, ensure_ascii=False), encoding="utf-8")
        print(f"cores: {os.cpu_count()}   python: {python}")
        print(f"{'rows':>9} {'runner':<16} {'seconds':>8} {'rows/s':>10} {'peak RSS MB':>12}  output")
        for rows in args.rows:
            path = Path(tmp) / f"tram-{rows}.csv"
            generate(path, rows)
            runners = {
                "ours": [python, __file__, "--run", "ours", str(path), str(schema)],
                "floor (csv)": [python, __file__, "--run", "floor", str(path), str(schema)],
            }
            if not args.skip_cli:
                # The CLI only reads relative paths under its working folder.
                runners["frictionless CLI"] = [python, "-m", "frictionless", "validate", "--schema", schema.name,
                                               path.name, "--json"]
            results = {}
            for name, argv in runners.items():
                result = measure(argv, Path(tmp))
                results[name] = result
                output = result["output"] if name != "frictionless CLI" else "(json report)"
                print(f"{rows:>9} {name:<16} {result['seconds']:>8.2f} {rows / result['seconds']:>10,.0f}"
                      f" {result['rss_mb']:>12.0f}  {output}")
            ours = results["ours"]["seconds"]
            line = f"{rows:>9} ratios: ours is {ours / results['floor (csv)']['seconds']:.2f}× the floor's time"
            if "frictionless CLI" in results:
                line += f", {results['frictionless CLI']['seconds'] / ours:.2f}× faster than the CLI"
            print(line)
            path.unlink()


if __name__ == "__main__":
    main()
