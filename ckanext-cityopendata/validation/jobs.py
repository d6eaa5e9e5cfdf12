"""The background side: which resources need validating, the job that validates one, and its queue."""
from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path
from typing import Any, Iterable, Optional

from ckan import model
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.validation import detect, store
from ckanext.cityopendata.validation.limits import Limits
from ckanext.cityopendata.validation.pipeline import validate_file
from ckanext.cityopendata.validation.schema_source import SchemaError, resolve

log = logging.getLogger(__name__)

JOB_PREFIX = "cityopendata_validation_"
FINAL = ("success", "failure")


def fingerprint(resource: dict[str, Any]) -> str:
    """What, when changed, makes a resource worth validating again (its content or its schema)."""
    parts = [str(resource.get(k) or "") for k in ("url", "url_type", "last_modified", "size", "format",
                                                    "table_schema", "encoding")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def resource_dict(res: model.Resource) -> dict[str, Any]:
    data = {
        "id": res.id, "url": res.url, "url_type": res.url_type, "format": res.format,
        "last_modified": res.last_modified.isoformat() if res.last_modified else None, "size": res.size,
    }
    data.update({k: v for k, v in (res.extras or {}).items() if k in ("table_schema", "encoding")})
    return data


def tabular_resources(package_id: str) -> list[dict[str, Any]]:
    pkg = model.Package.get(package_id)
    if pkg is None:
        return []
    found = []
    for res in pkg.resources:
        data = resource_dict(res)
        if detect.tabular_format(data["format"], data["url"]):
            found.append(data)
    return found


def tabular_resources_by_id(resource_id: str) -> list[dict[str, Any]]:
    res = model.Resource.get(resource_id)
    if res is None or res.state != "active":
        return []
    data = resource_dict(res)
    data["package_id"] = res.package_id
    return [data] if detect.tabular_format(data["format"], data["url"]) else []


def consider_dataset(package_id: str) -> int:
    """Queue a validation for each tabular resource of the dataset that changed; return how many."""
    return consider_datasets([package_id])


def consider_datasets(package_ids: Iterable[str]) -> int:
    """``consider_dataset`` for many datasets (a harvest's batch): one lookup, one commit."""
    resources = [dict(res, package_id=package_id)
                 for package_id in dict.fromkeys(package_ids) for res in tabular_resources(package_id)]
    reports = store.for_resources(res["id"] for res in resources)
    queued = []
    for res in resources:
        fp = fingerprint(res)
        row = reports.get(res["id"])
        if row is not None and row.fingerprint == fp:
            continue
        store.mark_pending(res["id"], res["package_id"], fp, row=row, looked_up=True)
        queued.append(res["id"])
    if queued:
        model.Session.commit()
        for resource_id in queued:
            enqueue(resource_id)
    return len(queued)


def job_id(resource_id: str) -> str:
    return JOB_PREFIX + resource_id


def enqueue(resource_id: str, force: bool = False, options: Optional[dict[str, Any]] = None) -> str:
    """Queue the job of one resource under a deterministic id: a burst of updates queues it once."""
    from rq.job import JobStatus

    jid = job_id(resource_id)
    try:
        existing = tk.job_from_id(jid)
    except KeyError:
        existing = None
    if existing is not None:
        status = existing.get_status(refresh=True)
        if status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
            if not (force or options):
                return jid
            existing.delete()  # a person asked for a run of their own: it replaces the queued one
        if status == JobStatus.STARTED:
            jid += "_again"  # a change during a run: one follow-up run, never more
    tk.enqueue_job(
        run_job, [resource_id], {"force": force, "options": options or {}},
        title=f"cityopendata validation {resource_id}",
        queue=tk.config.get("ckanext.cityopendata.validation.queue"),
        rq_kwargs={"job_id": jid},
    )
    return jid


def run_job(resource_id: str, force: bool = False, options: Optional[dict[str, Any]] = None) -> Optional[str]:
    """The job: validate one resource and store its report. Idempotent, safe to re-run."""
    try:
        limits = Limits.from_config().bounded(options or {})
        return validate_resource(resource_id, force=force, limits=limits)
    except Exception:
        model.Session.rollback()
        log.exception("validation of resource %s failed", resource_id)
        row = store.get(resource_id)
        if row is not None:
            row.status = "error"
            row.message = "the validation job failed unexpectedly; the site administrators can see why in the logs"
            row.finished = store.now()
            model.Session.commit()
        raise


def validate_resource(resource_id: str, force: bool = False, limits: Optional[Limits] = None) -> Optional[str]:
    """Validate one resource now (in this process) and store the report; return its status."""
    res = model.Resource.get(resource_id)
    if res is None or res.state != "active" or res.package is None:
        return None
    data = resource_dict(res)
    fmt = detect.tabular_format(data["format"], data["url"])
    row = store.get(resource_id) or store.mark_pending(resource_id, res.package_id, fingerprint(data))
    if fmt is None:
        return None
    # The last finished outcome survives "pending": a queued run of an unchanged file restores it.
    previous = ((row.details or {}).get("final_status"), row.file_hash, (row.table_schema or {}).get("source"))
    row.status, row.started, row.fingerprint = "running", store.now(), fingerprint(data)
    model.Session.commit()
    limits = limits or Limits.from_config()
    report: dict[str, Any]
    with tempfile.TemporaryDirectory(prefix="cityopendata-validation-") as tmp:
        try:
            schema = resolve(data.get("table_schema"))
            path, digest = local_copy(data, Path(tmp), limits)
        except (SchemaError, LocalCopyError) as error:
            report = {"status": "error", "message": str(error), "format": fmt, "error_counts": {},
                      "errors": [], "schema": {"source": data.get("table_schema") or "inferred"}}
        else:
            unchanged = previous[0] in FINAL and previous[1] == digest and previous[2] == schema.source
            if unchanged and not force:
                row.status = previous[0]
                row.details = dict(row.details or {}, last_checked=store.now().isoformat())
                model.Session.commit()
                return row.status
            report = validate_file(path, fmt, schema.descriptor, schema.source, limits,
                                   encoding=data.get("encoding"), known_hash=digest)
    store.save_report(row, report)
    model.Session.commit()
    reindex(res.package_id)
    return row.status


class LocalCopyError(Exception):
    """The resource's file cannot be had; the message is for a person."""


def local_copy(data: dict[str, Any], folder: Path, limits: Limits) -> tuple[Path, str]:
    """A local path to the resource's bytes and their hash: the upload itself, or a guarded download."""
    from ckan.lib import uploader

    from ckanext.cityopendata import net

    if data.get("url_type") == "upload":
        path = Path(uploader.get_resource_uploader(data).get_path(data["id"]))
        if not path.is_file():
            raise LocalCopyError("the uploaded file is missing from the storage")
        from ckanext.cityopendata.validation.pipeline import file_hash

        return path, file_hash(path)
    url = (data.get("url") or "").strip()
    name = Path(url.split("?", 1)[0]).name or "resource"
    target = folder / ("download" + Path(name).suffix[:8])
    policy = net.FetchPolicy.from_config()
    policy.max_bytes = min(policy.max_bytes, limits.max_bytes)
    policy.timeout = min(policy.timeout, limits.max_seconds)
    digest = hashlib.sha256()

    class Hashing:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def write(self, chunk: bytes) -> None:
            digest.update(chunk)
            self.handle.write(chunk)

    try:
        with open(target, "wb") as handle:
            net.fetch_guarded(url, policy, dest=Hashing(handle))  # type: ignore[arg-type]
    except net.FetchError as error:
        raise LocalCopyError(str(error)) from error
    return target, "sha256:" + digest.hexdigest()


def reindex(package_id: str) -> None:
    from ckan.lib.search import rebuild

    try:
        rebuild(package_id)
    except Exception:  # the report is stored; a stale facet is logged, not fatal
        log.exception("reindexing dataset %s after validation failed", package_id)
