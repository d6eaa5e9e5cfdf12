"""Benchmark: resolving pre-2025 unit names to current codes, ours against vietnamadminunits' converter.

Run: .venv/bin/python bench/admin_units.py [rounds]
Prints the time per name for our resolver (ckanext.cityopendata.metadata.admin_units.resolve) and for
the library's convert_address on the same names, and the ratio. No network: names have no street.
"""

from __future__ import annotations

import sys
import time

from vietnamadminunits.converter import convert_address

from ckanext.cityopendata.metadata import admin_units

NAMES = [
    "Phường Thạch Thang, Quận Hải Châu, Thành phố Đà Nẵng",
    "Phường Mỹ An, Quận Ngũ Hành Sơn, Thành phố Đà Nẵng",
    "Phường Minh An, Thành phố Hội An, Tỉnh Quảng Nam",
    "Phường I, Thành phố Vị Thanh, Tỉnh Hậu Giang",
    "Xã Hòa Phước, Huyện Hòa Vang, Thành phố Đà Nẵng",
]


def timed(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(rounds):
        for name in NAMES:
            fn(name)
    return (time.perf_counter() - start) / (rounds * len(NAMES))


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    start = time.perf_counter()
    admin_units.register()
    print(f"register of units built once in {time.perf_counter() - start:.2f} s")
    for name in NAMES:
        ours = admin_units.resolve(name).codes
        theirs = convert_address(name)
        print(f"  {name} -> ours {','.join(ours)} | library {theirs.ward_code or theirs.province_code}")
    ours_s = timed(admin_units.resolve, rounds)
    theirs_s = timed(convert_address, max(1, rounds // 10))
    print(
        f"ours: {ours_s * 1e6:.0f} µs/name, vietnamadminunits.convert_address: {theirs_s * 1e6:.0f} µs/name, "
        f"ratio {theirs_s / ours_s:.0f}x"
    )


if __name__ == "__main__":
    main()
