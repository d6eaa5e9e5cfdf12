"""Actions of the harvest feature: the job report, and a mended ``harvest_source_show``."""
from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit as tk
from ckan.types import Action, Context, DataDict

__all__ = ["harvest_source_show", "cityopendata_harvest_job_report"]


@tk.side_effect_free
@tk.chained_action
def harvest_source_show(up_func: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """ckanext-harvest 1.6.3 on CKAN 2.12 answers from the search cache after a job, without
    ``source_type`` (``ckan harvester run-test`` then dies with KeyError). Read the database."""
    tk.check_access("harvest_source_show", context, data_dict)
    context["use_cache"] = False  # type: ignore[typeddict-unknown-key]
    source = up_func(context, data_dict)
    if "source_type" not in source or "url" not in source:
        from ckanext.harvest.model import HarvestSource

        stored = HarvestSource.get(source["id"])
        if stored is not None:
            source.setdefault("source_type", stored.type)
            source.setdefault("url", stored.url)
            source.setdefault("config", stored.config)
    return source


@tk.side_effect_free
def cityopendata_harvest_job_report(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """What a harvest job did: counts and the errors of the source and of each dataset.

    :param id: the id of the harvest job
    :type id: string
    :rtype: dictionary with ``job_id``, ``source``, ``status``, ``created``, ``updated``,
        ``unchanged``, ``deleted``, ``failed``, ``errors`` (list of strings) and
        ``object_errors`` (list of dicts with ``guid``, ``stage``, ``message``)
    """
    from ckanext.cityopendata.harvesters import runner
    from ckanext.harvest.model import HarvestJob

    job_id = tk.get_or_bust(data_dict, "id")
    job = HarvestJob.get(job_id)
    if job is None:
        raise tk.ObjectNotFound(tk._("Harvest job not found"))
    tk.check_access("cityopendata_harvest_job_report", context, {"id": job_id, "source_id": job.source_id})
    summary = runner.report(job_id)
    return {
        "job_id": job_id, "source": summary.source, "source_id": job.source_id, "status": job.status,
        "created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged,
        "deleted": summary.deleted, "failed": summary.failed, "errors": summary.errors,
        "object_errors": runner.object_errors(job_id),
        "started": job.created.isoformat() if job.created else None,
        "finished": job.finished.isoformat() if job.finished else None,
    }
