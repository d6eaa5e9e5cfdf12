"""Field validators of the city schemas, named in schemas/*.yaml; each error lands on its field."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from ckan.plugins import toolkit as tk
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey
from ckanext.cityopendata.text import nfc, nfc_deep

from .. import admin_units, table_schemas, vocabularies

__all__ = [
    "cityopendata_nfc",
    "cityopendata_nfc_all",
    "cityopendata_max_chars",
    "cityopendata_vi_title",
    "cityopendata_code_from",
    "cityopendata_codes_from",
    "cityopendata_json_list_output",
    "cityopendata_text_list",
    "cityopendata_admin_units",
    "cityopendata_province",
    "cityopendata_date",
    "cityopendata_not_before",
    "cityopendata_http_url",
    "cityopendata_encoding",
    "cityopendata_table_schema_ref",
    "cityopendata_official_code",
]

_ = tk._
Missing = tk.missing
MAX_UNITS = 500
_OFFICIAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,49}$")


def _blank(value: Any) -> bool:
    return value is Missing or value is None or value == "" or value == []


def cityopendata_nfc(value: Any) -> Any:
    """NFC-normalise text (and text inside lists and dicts) on the way in."""
    return nfc_deep(value)


def cityopendata_nfc_all(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Schema-wide: every text value (tags, resources, extras included) in NFC before validation."""
    for k, value in list(data.items()):
        if isinstance(value, str):
            data[k] = nfc(value)


def cityopendata_max_chars(limit: int | str) -> Callable[[Any], Any]:
    """Refuse text longer than ``limit`` characters."""
    maximum = int(limit)

    def validator(value: Any) -> Any:
        if isinstance(value, str) and len(value) > maximum:
            raise tk.Invalid(_("Must be at most {max} characters long").format(max=maximum))
        return value

    return validator


def cityopendata_vi_title(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """The Vietnamese title is required."""
    value = data.get(key)
    if _blank(value) or (isinstance(value, str) and not value.strip()):
        errors[key].append(_("A Vietnamese title is required"))
        raise tk.StopOnError
    data[key] = nfc(str(value).strip())


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise tk.Invalid(_("Not a valid list")) from None
        else:
            value = [v for v in re.split(r"[,;\n]", text)]
    if not isinstance(value, (list, tuple)):
        raise tk.Invalid(_("Not a valid list"))
    return [nfc(str(v).strip()) for v in value if str(v).strip()]


def cityopendata_code_from(vocabulary: str) -> Callable[[Any], Any]:
    """One code of a vocabulary (update_frequencies, licences, languages, agency_types)."""

    def validator(value: Any) -> Any:
        if _blank(value):
            return value
        code = nfc(str(value).strip())
        vocab = vocabularies.get(vocabulary)
        if code not in vocab.codes():
            raise tk.Invalid(
                _("Unknown code “{code}”; expected one of: {codes}").format(
                    code=code, codes=", ".join(vocab.codes())
                )
            )
        return code

    return validator


def cityopendata_codes_from(vocabulary: str) -> Callable[[Any], Any]:
    """A list of codes of a vocabulary (topics), stored as JSON."""

    def validator(value: Any) -> Any:
        if _blank(value):
            return value
        codes = list(dict.fromkeys(_as_list(value)))
        vocab = vocabularies.get(vocabulary)
        unknown = [c for c in codes if c not in vocab.codes()]
        if unknown:
            raise tk.Invalid(
                _("Unknown code(s) {unknown}; expected some of: {codes}").format(
                    unknown=", ".join(f"“{c}”" for c in unknown), codes=", ".join(vocab.codes())
                )
            )
        return json.dumps(codes, ensure_ascii=False)

    return validator


def cityopendata_json_list_output(value: Any) -> Any:
    """Stored JSON lists come back as lists."""
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return [value] if value else []
        return loaded if isinstance(loaded, list) else [loaded]
    return value


def cityopendata_text_list(value: Any) -> Any:
    """A list of short texts, stored as JSON (the units as given, for instance)."""
    if _blank(value):
        return value
    if isinstance(value, str) and not value.strip().startswith("["):
        value = [value]
    items = _as_list(value)
    if len(items) > 500 or any(len(i) > 300 for i in items):
        raise tk.Invalid(_("Too many or too long values"))
    return json.dumps(items, ensure_ascii=False)


def cityopendata_admin_units(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Current unit codes from codes or names, current or pre-2025; keeps the values as given.

    A pre-2025 unit is replaced by its successors (a district by the communes its wards became) and
    the values as given go to ``admin_units_original``. Communes must lie in a chosen province.
    """
    value = data.get(key)
    if _blank(value):
        data[key] = Missing
        data[key[:-1] + ("admin_units_original",)] = Missing
        return
    given = [nfc(v) for v in admin_units.split_values(value)]
    if len(given) > MAX_UNITS or any(len(v) > 200 for v in given):
        errors[key].append(_("At most {max} units of at most 200 characters each").format(max=MAX_UNITS))
        return
    codes: list[str] = []
    converted = False
    for item in given:
        try:
            resolved = admin_units.resolve(item)
        except admin_units.UnitError as e:
            if e.options:
                options = "; ".join(_option(u) for u in e.options[:4])
                errors[key].append(
                    _(
                        "“{value}” matches several units ({options}); "
                        "add the district or province after a comma"
                    ).format(value=item, options=options)
                )
            else:
                errors[key].append(_("Unknown administrative unit: “{value}”").format(value=item))
            continue
        converted = converted or resolved.converted
        codes.extend(c for c in resolved.codes if c not in codes)
    if errors[key]:
        return
    register = admin_units.register()
    provinces = [c for c in codes if register.current[c].level == admin_units.PROVINCE]
    if provinces:
        for code in codes:
            unit = register.current[code]
            if unit.level == admin_units.COMMUNE and unit.province_code not in provinces:
                errors[key].append(
                    _("{commune} is not in the chosen province ({provinces})").format(
                        commune=unit.name, provinces=", ".join(register.current[p].name for p in provinces)
                    )
                )
    if errors[key]:
        return
    data[key] = json.dumps(codes)
    original_key = key[:-1] + ("admin_units_original",)
    if converted:
        data[original_key] = json.dumps(given, ensure_ascii=False)
    elif _blank(data.get(original_key)):
        # The edit form shows the current codes and not the values as given: keep those stored.
        stored = _stored_extras(context)
        if stored.get("admin_units") == data[key] and stored.get("admin_units_original"):
            data[original_key] = stored["admin_units_original"]


def _stored_extras(context: Context) -> dict[str, Any]:
    package = context.get("package")
    extras = getattr(package, "extras", None)
    return dict(extras) if isinstance(extras, dict) else {}


def _option(unit: admin_units.Unit) -> str:
    return ", ".join(dict.fromkeys(p for p in (unit.name, unit.district, unit.province_name) if p))


def cityopendata_province(value: Any) -> Any:
    """A current province code, from a code or a name (a pre-2025 province gives its successor)."""
    if _blank(value):
        return value
    try:
        resolved = admin_units.resolve(str(value))
    except admin_units.UnitError:
        raise tk.Invalid(_("Unknown province: “{value}”").format(value=value)) from None
    unit = admin_units.get(resolved.codes[0])
    if len(resolved.codes) != 1 or unit is None or unit.level != admin_units.PROVINCE:
        raise tk.Invalid(_("Unknown province: “{value}”").format(value=value))
    return unit.code


def _parse_date(value: Any) -> dt.date:
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    if re.match(r"^\d{4}-\d{2}-\d{2}T", text):
        return dt.datetime.fromisoformat(text).date()
    raise ValueError(text)


def cityopendata_date(value: Any) -> Any:
    """A date as YYYY-MM-DD (DD/MM/YYYY accepted)."""
    if _blank(value):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    try:
        return _parse_date(value).isoformat()
    except ValueError:
        raise tk.Invalid(
            _("Not a valid date: “{value}” (use YYYY-MM-DD or DD/MM/YYYY)").format(value=value)
        ) from None


def cityopendata_not_before(other: str) -> Callable[..., None]:
    """This date must not be before the date in field ``other`` (temporal end after start)."""

    def validator(key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context) -> None:
        end, start = data.get(key), data.get(key[:-1] + (other,))
        if _blank(end) or _blank(start) or errors.get(key):
            return
        try:
            if _parse_date(end) < _parse_date(start):
                errors[key].append(
                    _("The end date ({end}) is before the start date ({start})").format(end=end, start=start)
                )
        except ValueError:
            return  # the date validators report unparseable dates

    return validator


def cityopendata_http_url(value: Any) -> Any:
    """An absolute http(s) URL."""
    if _blank(value):
        return value
    text = str(value).strip()
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise tk.Invalid(_("Must be an http:// or https:// address"))
    return text


def cityopendata_encoding(value: Any) -> Any:
    """A character encoding Python knows (utf-8, windows-1258, …), stored lower-case."""
    if _blank(value):
        return value
    text = str(value).strip().lower()
    try:
        codecs.lookup(text)
    except LookupError:
        raise tk.Invalid(_("Unknown character encoding: “{value}”").format(value=value)) from None
    return text


def cityopendata_table_schema_ref(value: Any) -> Any:
    """A catalogue Table Schema id ("bus-stops/1.0") or the http(s) URL of a Table Schema."""
    if _blank(value):
        return value
    text = str(value).strip()
    if text.startswith(("http://", "https://")):
        return cityopendata_http_url(text)
    if table_schemas.get(text) is None:
        known = ", ".join(table_schemas.ids())
        raise tk.Invalid(
            _("Unknown Table Schema “{value}”; use a catalogue id ({known}) or an http(s) URL").format(
                value=text, known=known
            )
        )
    return text


def cityopendata_official_code(value: Any) -> Any:
    """An agency's official code (electronic identification code), e.g. 000.00.12.H17."""
    if _blank(value):
        return value
    text = str(value).strip()
    if not _OFFICIAL_CODE.match(text):
        raise tk.Invalid(_("An official code has letters, digits, dots and hyphens only"))
    return text
