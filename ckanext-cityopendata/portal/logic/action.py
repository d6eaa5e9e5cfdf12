"""The portal's Action API: the quality score of a dataset and the open-data dashboard."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ckan.plugins import toolkit as tk
from ckan.types import Context, DataDict

from ckanext.cityopendata.portal import dashboard, indexing, quality

__all__ = ["cityopendata_quality_show", "cityopendata_dashboard_show"]


@tk.side_effect_free
def cityopendata_quality_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The quality score of a dataset and the reason for each point.

    :param id: the id or name of the dataset
    :type id: string
    :rtype: dictionary with ``score`` (0-100), ``max_score`` and ``reasons`` (a list of
        ``code``, ``label``, ``points``, ``max_points``, ``met``, ``detail``)
    """
    ident = tk.get_or_bust(data_dict, "id")
    tk.check_access("cityopendata_quality_show", context, {"id": ident})
    dataset = tk.get_action("package_show")(dict(context), {"id": ident})  # type: ignore[arg-type]
    reasons = indexing.reasons_for(dataset)
    return {
        "score": quality.score(reasons),
        "max_score": quality.MAX_SCORE,
        "reasons": quality.reasons_for_display(reasons),
    }


@tk.side_effect_free
def cityopendata_dashboard_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The city's open-data dashboard: city-wide shares, per-agency figures, the approved list.

    Everyone gets the public summary (public datasets only); sysadmins and reviewers (editors and
    admins of an agency) also get datasets in review, drafts, harvest health and national sync
    per agency, counted over the datasets they may see.

    :rtype: dictionary
    """
    tk.check_access("cityopendata_dashboard_show", context, data_dict)
    board = dashboard.build(dict(context))
    out = asdict(board)
    out["shares"] = board.shares
    return out
