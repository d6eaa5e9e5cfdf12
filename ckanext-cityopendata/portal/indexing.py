"""What the portal adds to the search index (the quality score) and to the search page's facets."""
from __future__ import annotations

import json
import logging
from typing import Any, Iterable

from ckan.plugins import toolkit as tk

from ckanext.cityopendata.portal import links, quality

log = logging.getLogger(__name__)

QUALITY_FIELD = "quality_score"


def dataset_from_index_dict(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """The full dataset dict (resources included) that CKAN keeps beside the flat index fields."""
    for key in ("validated_data_dict", "data_dict"):
        raw = pkg_dict.get(key)
        if raw:
            try:
                return json.loads(raw)
            except ValueError:
                log.warning("dataset %s: %s is not JSON", pkg_dict.get("id"), key)
    return pkg_dict


def reasons_for(dataset: dict[str, Any]) -> list[quality.Reason]:
    return quality.assess(dataset, reachable=links.last_results)


def before_dataset_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    dataset = dataset_from_index_dict(pkg_dict)
    pkg_dict[QUALITY_FIELD] = quality.index_value(quality.score(reasons_for(dataset)))
    return pkg_dict


def dataset_facets(facets: dict[str, Any]) -> dict[str, Any]:
    facets["topics"] = tk._("Topics")
    facets[QUALITY_FIELD] = tk._("Quality score")
    return facets


def facet_counts(items: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Facet items as {value: count}, spreading values indexed as a JSON list over their members."""
    counts: dict[str, int] = {}
    for item in items:
        name, count = item.get("name", ""), int(item.get("count", 0))
        values: list[Any] = [name]
        if isinstance(name, str) and name.startswith("["):
            try:
                values = json.loads(name)
            except ValueError:
                pass
        for value in values:
            counts[str(value)] = counts.get(str(value), 0) + count
    return counts
