"""Run a harvest job in-process: gather, then fetch and import each object, then close the job.

Used by ``ckan cityopendata harvest run``. It never goes through ``harvest_source_show`` (whose
search-cached answer lacks ``source_type`` on CKAN 2.12 with ckanext-harvest 1.6.3), rolls the
session back per object, and always closes the job: no job it starts stays "Running". A job left
"Running" by a run that was killed (its process is gone) is closed before the next one starts.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional

import sqlalchemy as sa
from ckan import model
from ckan.lib.redis import connect_to_redis
from ckan.plugins import toolkit as tk
from ckanext.harvest import queue

from ckanext.cityopendata.harvesters.base import CityHarvester, commit_index
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, HarvestObjectError, HarvestSource

log = logging.getLogger(__name__)

LOCK_TTL = 6 * 3600
VALIDATION_BATCH = 50  # imported datasets handed to validation at once
REPORT_KEYS = {"added": "created", "updated": "updated", "not modified": "unchanged",
               "deleted": "deleted", "errored": "failed"}


class HarvestRunError(Exception):
    """The run could not start or its source could not be read; the message is for a person."""


@dataclass
class Summary:
    source: str
    job_id: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.source}: created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
                f"deleted {self.deleted}, failed {self.failed}")


def find_source(name_or_id: str) -> HarvestSource:
    source = HarvestSource.get(name_or_id)
    if source is None:
        package = model.Package.get(name_or_id)
        if package is not None and package.type == "harvest":
            source = HarvestSource.get(package.id)
    if source is None:
        raise HarvestRunError(tk._("No harvest source named {name}").format(name=name_or_id))
    return source


def active_sources() -> list[HarvestSource]:
    return (model.Session.query(HarvestSource)
            .join(model.Package, model.Package.id == HarvestSource.id)
            .filter(HarvestSource.active == True, model.Package.state == "active")  # noqa: E712
            .order_by(HarvestSource.url).all())


def _lock_key(source_id: str) -> str:
    prefix = tk.config.get("ckan.site_id") or "default"
    return f"{prefix}:cityopendata_harvest_run:{source_id}"


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's run: trust its lock until it expires
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_open_jobs(source: HarvestSource, reason: str) -> int:
    """Mark the source's New/Running jobs Finished, their unfinished objects errored."""
    jobs = (model.Session.query(HarvestJob)
            .filter(HarvestJob.source_id == source.id, HarvestJob.status.in_(["New", "Running"])).all())
    now = dt.datetime.utcnow()
    for job in jobs:
        _error_unfinished(job.id, reason)
        job.status = "Finished"
        job.finished = now
        job.gather_finished = job.gather_finished or now
        model.Session.add(HarvestGatherError(job=job, message=reason))
    model.Session.commit()
    return len(jobs)


def _error_unfinished(job_id: str, reason: str) -> None:
    """Mark the job's objects that were never imported errored, with ``reason`` (uncommitted)."""
    for obj in (model.Session.query(HarvestObject)
                .filter(HarvestObject.harvest_job_id == job_id,
                        HarvestObject.state.notin_(["COMPLETE", "ERROR"])).all()):
        obj.state, obj.report_status = "ERROR", "errored"
        model.Session.add(HarvestObjectError(object=obj, message=reason, stage="Import"))


def import_workers(count: int, requested: Optional[int] = None) -> int:
    """How many processes import ``count`` harvest objects side by side."""
    if count < tk.config.get("ckanext.cityopendata.harvest.parallel_threshold"):
        return 1
    wanted = requested if requested is not None else tk.config.get("ckanext.cityopendata.harvest.import_workers")
    if not wanted:
        wanted = min(4, os.cpu_count() or 1)
    return max(1, min(int(wanted), count))


def run_source(source: HarvestSource, progress: Optional[Callable[[int], object]] = None,
               on_total: Optional[Callable[[int], object]] = None, workers: Optional[int] = None) -> Summary:
    """Run one job of ``source`` to its end and return what it did.

    Our harvesters' objects are imported by ``workers`` processes side by side (see
    ``import_workers``); stock harvesters' objects go through ckanext-harvest's own stages, one by one.
    """
    harvester = queue.get_harvester(source.type)
    if harvester is None:
        raise HarvestRunError(tk._("No harvester is loaded for source type {type}").format(type=source.type))
    summary = Summary(source=model.Package.get(source.id).name if model.Package.get(source.id) else source.id)
    redis = connect_to_redis()
    key = _lock_key(source.id)
    me = f"{socket.gethostname()}:{os.getpid()}"
    holder = redis.get(key)
    if holder is not None and holder.decode() != me and _owner_alive(holder.decode()):
        raise HarvestRunError(tk._("Source {name} is being harvested by another run ({owner})").format(
            name=summary.source, owner=holder.decode()))
    redis.set(key, me, ex=LOCK_TTL)
    try:
        closed = close_open_jobs(source, tk._("Interrupted: closed by a new run of this source"))
        if closed:
            log.warning("closed %d unfinished job(s) of %s", closed, summary.source)
        job = HarvestJob(source=source, status="Running")
        model.Session.add(job)
        model.Session.commit()
        job_id = summary.job_id = job.id
        deferred = isinstance(harvester, CityHarvester)
        if deferred:
            harvester.defer_index_commit = True
            harvester.validation_batch = []
        try:
            ids = queue.gather_stage(harvester, job) or []
            if on_total:
                on_total(len(ids))
            processes = import_workers(len(ids), workers) if deferred else 1
            if processes > 1:
                _import_in_processes(harvester, job_id, ids, processes, progress)
            else:
                _import_many(harvester, ids, progress)
        finally:
            if deferred:
                harvester.defer_index_commit = False
                harvester.validation_batch = None
            _finish(job_id)
    finally:
        if redis.get(key) == me.encode():
            redis.delete(key)
    return report(job_id, summary)


def _fetch_and_import(harvester: object, object_id: str) -> None:
    try:
        obj = HarvestObject.get(object_id)
        if isinstance(harvester, CityHarvester):
            _import_lean(harvester, obj)
        else:
            queue.fetch_and_import_stages(harvester, obj)
    except Exception as error:  # one object's failure must not poison the next
        log.exception("harvest object %s failed", object_id)
        model.Session.rollback()
        obj = HarvestObject.get(object_id)
        obj.state = "ERROR"
        obj.report_status = "errored"
        model.Session.add(HarvestObjectError(object=obj, message=f"{type(error).__name__}: {error}", stage="Import"))
        model.Session.commit()


def _import_in_processes(harvester: CityHarvester, job_id: str, ids: list[str], processes: int,
                         progress: Optional[Callable[[int], object]]) -> None:
    """Import ``ids`` in ``processes`` forked processes, each with its own database connection.

    Each object is imported and committed on its own, exactly as in one process; dataset ids come
    from (source, remote id), so no two processes ever write the same dataset. A process that dies
    leaves its remaining objects unimported: they are marked errored here and the next run of the
    source imports them (they were never recorded as harvested)."""
    import multiprocessing
    import queue as queue_module

    context = multiprocessing.get_context("fork")
    model.Session.remove()
    model.meta.engine.dispose()  # no pooled connection may be shared with the children
    done = context.Queue()
    children = [context.Process(target=_import_chunk, args=(harvester, ids[n::processes], done, os.getpid()),
                                daemon=True) for n in range(processes)]
    for child in children:
        child.start()
    imported = 0
    while imported < len(ids):
        try:
            imported += done.get(timeout=0.5)
            if progress:
                progress(1)
        except queue_module.Empty:
            if not any(child.is_alive() for child in children):
                break
    for child in children:
        child.join()
    crashed = [child.exitcode for child in children if child.exitcode != 0]
    if crashed:
        log.error("%d import process(es) of job %s stopped (exit codes %s)", len(crashed), job_id, crashed)
        _error_unfinished(job_id, tk._("Not imported: the import process stopped; the next run imports it"))
        model.Session.commit()


def _import_chunk(harvester: CityHarvester, ids: list[str], done: Any, parent: int) -> None:
    """Body of one import process (forked: the parent's connections are never used here). It
    stops when the run that started it is gone (killed): the next run takes over."""
    model.meta.engine.dispose(close=False)

    def while_parent_lives() -> Iterator[str]:
        for object_id in ids:
            if os.getppid() != parent:
                return
            yield object_id

    try:
        _import_many(harvester, while_parent_lives(), done.put)
    finally:
        model.Session.remove()


def _import_many(harvester: object, ids: Iterable[str], progress: Optional[Callable[[int], object]]) -> None:
    """Import ``ids`` one by one; our harvesters hand what they imported to validation in batches."""
    batched = harvester if isinstance(harvester, CityHarvester) and harvester.validation_batch is not None else None
    try:
        for object_id in ids:
            _fetch_and_import(harvester, object_id)
            if progress:
                progress(1)
            if batched and len(batched.validation_batch or []) >= VALIDATION_BATCH:
                batched.flush_validation()
    finally:
        if batched:
            batched.flush_validation()


def _import_lean(harvester: CityHarvester, obj: HarvestObject) -> None:
    """Our harvesters' objects already hold their content (fetch is a no-op) and close
    themselves in the import's commit: one commit per object instead of the queue path's six."""
    now = dt.datetime.utcnow()
    obj.fetch_started = obj.fetch_finished = obj.import_started = now
    obj.state = "IMPORT"
    result = harvester.import_stage(obj)
    if result == "unchanged":
        obj.state, obj.report_status, obj.import_finished = "COMPLETE", "not modified", dt.datetime.utcnow()
    elif not result:
        obj.state, obj.report_status, obj.import_finished = "ERROR", "errored", dt.datetime.utcnow()
    model.Session.commit()


def _finish(job_id: str) -> None:
    model.Session.rollback()
    commit_index()
    _tell_reviewers(job_id)
    job = HarvestJob.get(job_id)
    try:
        tk.get_action("harvest_jobs_run")({"ignore_auth": True, "user": ""}, {"source_id": job.source_id})
    except Exception:
        log.exception("harvest_jobs_run failed for job %s", job_id)
        model.Session.rollback()
    job = HarvestJob.get(job_id)
    if job.status != "Finished":
        job.status = "Finished"
        job.finished = dt.datetime.utcnow()
        job.gather_finished = job.gather_finished or job.finished
        model.Session.commit()


def _tell_reviewers(job_id: str) -> None:
    """One digest mail of what the job left waiting for review (the imports sent none)."""
    from ckan.plugins import plugin_loaded

    if not plugin_loaded("cityopendata_publishing"):
        return
    from ckanext.cityopendata.publishing import notify

    try:
        notify.harvest_digest(job_id)
    except Exception:  # a mail problem never fails the job
        log.exception("could not mail the review digest of job %s", job_id)
        model.Session.rollback()


def report(job_id: str, summary: Optional[Summary] = None) -> Summary:
    """Counts and errors of one job, as the CLI and the report page show them."""
    job = HarvestJob.get(job_id)
    if summary is None:
        package = model.Package.get(job.source_id)
        summary = Summary(source=package.name if package else job.source_id, job_id=job_id)
    counts = dict(model.Session.query(HarvestObject.report_status, sa.func.count())
                  .filter(HarvestObject.harvest_job_id == job_id)
                  .group_by(HarvestObject.report_status).all())
    for status, name in REPORT_KEYS.items():
        setattr(summary, name, int(counts.get(status, 0)))
    summary.errors = [e.message for e in model.Session.query(HarvestGatherError)
                      .filter(HarvestGatherError.harvest_job_id == job_id).all()]
    return summary


def object_errors(job_id: str) -> list[dict[str, str]]:
    rows = (model.Session.query(HarvestObject.guid, HarvestObjectError.message, HarvestObjectError.stage)
            .join(HarvestObjectError, HarvestObjectError.harvest_object_id == HarvestObject.id)
            .filter(HarvestObject.harvest_job_id == job_id)
            .order_by(HarvestObject.guid).all())
    return [{"guid": g, "message": m, "stage": s} for g, m, s in rows]


__all__ = ["run_source", "import_workers", "find_source", "active_sources", "report", "object_errors", "Summary",
           "HarvestRunError", "close_open_jobs"]
