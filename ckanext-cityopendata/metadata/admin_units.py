"""Vietnam's administrative units: the current 34 provinces and 3,321 communes, and the pre-2025 ones.

Current units come from ``vietnam-provinces`` (names and official codes after 1 July 2025); the
pre-2025 provinces, districts and wards and their successors come from ``vietnamadminunits``
(its legacy table and its 2025 conversion data). Nothing here is typed by hand.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ckanext.cityopendata.text import fold

PROVINCE = "province"
COMMUNE = "commune"
DISTRICT = "district"

# Type words a name may start with, longest first (folded): "Thành phố Đà Nẵng" -> "da nang".
_TYPE_WORDS = (
    "thanh pho trung uong",
    "thanh pho",
    "thi xa",
    "thi tran",
    "dac khu",
    "tinh",
    "quan",
    "huyen",
    "phuong",
    "xa",
)
_SPLIT = re.compile(r"[;\n]+")


@dataclass(frozen=True)
class Unit:
    """One administrative unit; ``current`` is False for a unit that ceased to exist in 2025."""

    code: str
    name: str
    level: str
    province_code: str
    current: bool = True
    district: str = ""
    province_name: str = ""

    def short(self) -> str:
        return _strip_type(fold(self.name))


@dataclass
class Register:
    """All units, by code and by folded name, with successors and predecessors across 2025."""

    current: dict[str, Unit] = field(default_factory=dict)
    legacy: dict[str, Unit] = field(default_factory=dict)
    successors: dict[str, list[str]] = field(default_factory=dict)  # legacy code -> current codes
    predecessors: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # current -> names
    current_names: dict[str, list[Unit]] = field(default_factory=lambda: defaultdict(list))
    legacy_names: dict[str, list[Unit]] = field(default_factory=lambda: defaultdict(list))
    districts: dict[tuple[str, str], str] = field(default_factory=dict)  # (province, name) -> code


def _strip_type(folded: str) -> str:
    for word in _TYPE_WORDS:
        if folded.startswith(word + " "):
            return folded[len(word) + 1 :]
    return folded


def _key(value: str) -> str:
    """The library's key form: folded, no spaces ("Thành phố Đà Nẵng" -> "thanhphodanang")."""
    return fold(value).replace(" ", "").replace("-", "")


@lru_cache(maxsize=1)
def register() -> Register:
    from vietnam_provinces import Province, Ward
    from vietnamadminunits.database.main import query

    reg = Register()
    for p in Province.iter_all():
        code = f"{int(p.code):02d}"
        reg.current[code] = Unit(code, p.name, PROVINCE, code, province_name=p.name)
    for w in Ward.iter_all():
        province = reg.current[f"{int(w.province_code):02d}"]
        code = f"{int(w.code):05d}"
        reg.current[code] = Unit(code, w.name, COMMUNE, province.code, province_name=province.name)

    for unit in reg.current.values():
        for name in {fold(unit.name), unit.short()}:
            reg.current_names[name].append(unit)

    # The library's own keys for current units, to read its conversion table.
    new_province_by_key: dict[str, str] = {}
    new_ward_by_key: dict[tuple[str, str], str] = {}
    for row in query("SELECT DISTINCT provinceKey, provinceCode, wardKey, wardCode FROM admin_units"):
        new_province_by_key[row["provinceKey"]] = f"{int(row['provinceCode']):02d}"
        if row["wardCode"] and f"{int(row['wardCode']):05d}" in reg.current:
            new_ward_by_key[(row["provinceKey"], row["wardKey"])] = f"{int(row['wardCode']):05d}"

    legacy_by_key: dict[str, Unit] = {}
    legacy_province_by_key: dict[str, Unit] = {}
    rows = query(
        "SELECT province, district, ward, provinceCode, districtCode, wardCode, provinceKey, districtKey,"
        " wardKey FROM admin_units_legacy"
    )
    for row in rows:
        pcode = f"{int(row['provinceCode']):02d}"
        province = Unit(pcode, row["province"], PROVINCE, pcode, current=False, province_name=row["province"])
        legacy_province_by_key[row["provinceKey"]] = province
        reg.legacy.setdefault(pcode, province)
        if row["districtCode"]:
            dcode = f"{int(row['districtCode']):03d}"
            reg.legacy.setdefault(
                dcode, Unit(dcode, row["district"], DISTRICT, pcode, False, province_name=row["province"])
            )
            reg.districts[(pcode, row["district"])] = dcode
        if row["wardCode"]:
            wcode = f"{int(row['wardCode']):05d}"
            ward = Unit(wcode, row["ward"], COMMUNE, pcode, False, row["district"] or "", row["province"])
            reg.legacy.setdefault(wcode, ward)
            legacy_by_key[f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"] = ward

    _read_conversion(reg, new_province_by_key, new_ward_by_key, legacy_by_key, legacy_province_by_key)

    for unit in reg.legacy.values():
        for name in {fold(unit.name), unit.short()}:
            reg.legacy_names[name].append(unit)
    return reg


def _read_conversion(
    reg: Register,
    new_province_by_key: dict[str, str],
    new_ward_by_key: dict[tuple[str, str], str],
    legacy_by_key: dict[str, Unit],
    legacy_province_by_key: dict[str, Unit],
) -> None:
    """Successors of every pre-2025 unit from vietnamadminunits' conversion data."""
    from importlib import resources

    data = json.loads(
        resources.files("vietnamadminunits").joinpath("data/converter_2025.json").read_text(encoding="utf-8")
    )
    succ: dict[str, set[str]] = defaultdict(set)
    for new_key, old_keys in data["DICT_PROVINCE"].items():
        new_code = new_province_by_key[new_key]
        for old_key in old_keys:
            old = legacy_province_by_key.get(old_key)
            if old is not None:
                succ[old.code].add(new_code)
                reg.predecessors[new_code].add(old.name)
    for new_pkey, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, old_keys in wards.items():
            new_code = new_ward_by_key.get((new_pkey, new_wkey))
            if new_code:
                for old_key in old_keys:
                    _link(reg, succ, legacy_by_key.get(old_key), new_code)
    for new_pkey, divided in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, news in divided.items():
            for new in news:
                new_code = new_ward_by_key.get((new_pkey, new["newWardKey"]))
                if new_code:
                    _link(reg, succ, legacy_by_key.get(old_key), new_code)
    for code, new_codes in succ.items():
        reg.successors[code] = sorted(new_codes)


def _link(reg: Register, succ: dict[str, set[str]], old: Unit | None, new_code: str) -> None:
    if old is None:
        return
    succ[old.code].add(new_code)
    reg.predecessors[new_code].add(old.name)
    # A pre-2025 district is succeeded by every current commune one of its wards went to.
    dcode = reg.districts.get((old.province_code, old.district))
    if dcode:
        succ[dcode].add(new_code)
        reg.predecessors[new_code].add(old.district)


class UnitError(ValueError):
    """A value that names no unit, or several."""

    def __init__(self, value: str, options: Iterable[Unit] = ()) -> None:
        super().__init__(value)
        self.value = value
        self.options = list(options)


@dataclass(frozen=True)
class Resolved:
    value: str
    codes: tuple[str, ...]
    converted: bool  # the value was not already a current code


def split_values(value: object) -> list[str]:
    """The unit values of a field: a list, or text separated by ";" or new lines (or commas between codes)."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                pass
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        items = []
        for piece in _SPLIT.split(str(value)):
            parts = [p.strip() for p in piece.split(",")]
            items.extend(parts if all(p.isdigit() for p in parts if p) else [piece.strip()])
    return [i for i in items if i]


def resolve(value: str) -> Resolved:
    """The current unit codes ``value`` stands for: a current or pre-2025 code or name."""
    reg = register()
    text = value.strip()
    if text.isdigit():
        code = text.zfill(2) if len(text) <= 2 else text.zfill(3) if len(text) == 3 else text.zfill(5)
        if code in reg.current:
            return Resolved(value, (code,), False)
        if code in reg.successors:
            return Resolved(value, tuple(reg.successors[code]), True)
        raise UnitError(value)
    parts = [fold(p) for p in text.split(",") if p.strip()]
    if not parts:
        raise UnitError(value)
    name, context = parts[0], parts[1:]
    for candidates in _candidates(reg, name):
        narrowed = [u for u in candidates if _fits(u, context)] if context else candidates
        unique = {u.code: u for u in narrowed}
        if len(unique) == 1:
            unit = next(iter(unique.values()))
            if unit.current:
                return Resolved(value, (unit.code,), True)
            codes = reg.successors.get(unit.code)
            if codes:
                return Resolved(value, tuple(codes), True)
        elif len(unique) > 1:
            raise UnitError(value, unique.values())
    raise UnitError(value)


def _candidates(reg: Register, name: str) -> Iterable[list[Unit]]:
    """Candidate lists from the most to the least likely meaning of a name."""
    full_current = [u for u in reg.current_names.get(name, []) if fold(u.name) == name]
    full_legacy = [u for u in reg.legacy_names.get(name, []) if fold(u.name) == name]
    yield full_current
    yield full_legacy
    short = _strip_type(name)
    current = reg.current_names.get(short, [])
    legacy = reg.legacy_names.get(short, [])
    known = [u for u in legacy if u.code in reg.successors]
    yield [u for u in current if u.level == PROVINCE]
    yield [u for u in known if u.level == PROVINCE]
    yield [u for u in current if u.level == COMMUNE]
    yield [u for u in known if u.level == DISTRICT]
    yield [u for u in known if u.level == COMMUNE]


def _fits(unit: Unit, context: list[str]) -> bool:
    names = {fold(unit.province_name), _strip_type(fold(unit.province_name))}
    if unit.district:
        names |= {fold(unit.district), _strip_type(fold(unit.district))}
    if unit.current:
        province = register().current.get(unit.province_code)
        if province:
            names |= {fold(n) for n in register().predecessors.get(province.code, ())}
            names |= {_strip_type(n) for n in list(names)}
    return all(c in names or _strip_type(c) in names for c in context)


def get(code: str) -> Unit | None:
    return register().current.get(code)


def label(unit: Unit) -> str:
    """ "Phường Hải Châu, Thành phố Đà Nẵng" for a commune, the name for a province."""
    return unit.name if unit.level == PROVINCE else f"{unit.name}, {unit.province_name}"


def search_names(codes: Iterable[str], originals: Iterable[str] = ()) -> list[str]:
    """Every name a dataset covering ``codes`` may be searched by: current, pre-2025, as given."""
    reg = register()
    names: list[str] = []
    for code in codes:
        unit = reg.current.get(code)
        if unit is None:
            continue
        names.append(unit.name)
        if unit.level == COMMUNE:
            names.append(unit.province_name)
        names.extend(sorted(reg.predecessors.get(code, ())))
    names.extend(originals)
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name, None)
        seen.setdefault(fold(name), None)
    return list(seen)
