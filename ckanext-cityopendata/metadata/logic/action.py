"""Action API of the city schemas: the vocabularies and the Table Schema catalogue."""

from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit as tk
from ckan.types import Context, DataDict

from .. import paths, table_schemas, vocabularies
from . import schema

__all__ = [
    "cityopendata_vocabulary_list",
    "cityopendata_vocabulary_show",
    "cityopendata_table_schema_list",
    "cityopendata_table_schema_show",
]


def _validated(data_dict: DataDict, input_schema: dict[str, Any], context: Context) -> dict[str, Any]:
    data, errors = tk.navl_validate(data_dict, input_schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


@tk.side_effect_free
def cityopendata_vocabulary_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """List the portal's controlled vocabularies.

    :rtype: list of dictionaries with ``name``, ``title`` (``vi``/``en``), ``source`` and ``count``
    """
    tk.check_access("cityopendata_vocabulary_list", context, data_dict)
    return [vocabularies.summary(name) for name in vocabularies.names()]


@tk.side_effect_free
def cityopendata_vocabulary_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Show one vocabulary with its items.

    :param id: the vocabulary: ``topics``, ``update_frequencies``, ``licences``, ``languages``,
        ``agency_types`` or ``admin_units``
    :type id: string
    :param province: for ``admin_units``, only this province (code, e.g. ``48``) and its communes
    :type province: string
    :rtype: dictionary with ``name``, ``title``, ``source``, ``count`` and ``items`` (each with
        ``code``, ``vi`` and ``en`` labels; units also ``level``, ``province`` and ``former_names``)
    """
    tk.check_access("cityopendata_vocabulary_show", context, data_dict)
    data = _validated(data_dict, schema.vocabulary_show(), context)
    name = data["id"]
    if name not in vocabularies.names():
        raise tk.ObjectNotFound(tk._("Vocabulary not found: {name}").format(name=name))
    result = vocabularies.summary(name)
    if name == vocabularies.ADMIN_UNITS:
        result["items"] = vocabularies.admin_unit_items(data.get("province"))
    else:
        result["items"] = list(vocabularies.get(name).items)
    return result


@tk.side_effect_free
def cityopendata_table_schema_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """List the Table Schemas of the catalogue (the latest version of each, or all versions).

    :param all_versions: list every version, not just the latest (optional, default False)
    :type all_versions: bool
    :rtype: list of dictionaries with ``id`` (``name/version``), ``name``, ``version``, ``title``,
        ``title_en``, ``description``, ``description_en``, ``fields``, ``primaryKey`` and ``url``
    """
    tk.check_access("cityopendata_table_schema_list", context, data_dict)
    data = _validated(data_dict, schema.table_schema_list(), context)
    schemas = table_schemas.catalogue().values() if data.get("all_versions") else table_schemas.latest()
    return [dict(s.summary(), url=_url(s)) for s in schemas]


@tk.side_effect_free
def cityopendata_table_schema_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Show one Table Schema of the catalogue: its Frictionless descriptor.

    :param id: ``name/version`` (e.g. ``bus-stops/1.0``), or a name for its latest version
    :type id: string
    :rtype: dictionary: the Table Schema descriptor, plus ``id`` and ``url`` (its stable address)
    """
    tk.check_access("cityopendata_table_schema_show", context, data_dict)
    data = _validated(data_dict, schema.table_schema_show(), context)
    found = table_schemas.get(data["id"])
    if found is None:
        raise tk.ObjectNotFound(tk._("Table Schema not found: {id}").format(id=data["id"]))
    return dict(found.descriptor, id=found.id, url=_url(found))


def _url(found: table_schemas.TableSchema) -> str:
    return tk.config["ckan.site_url"].rstrip("/") + paths.table_schema_json(found.name, found.version)
