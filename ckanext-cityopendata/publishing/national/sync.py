"""Per-dataset sync state with the national portal, the push job, retries and backoff.

A change to a dataset marks it ``pending`` and, once the change commits, queues one job under a
deterministic id, so a burst of edits makes one push; the job reads the dataset as it is when it
runs. A push whose
mapped content has not changed since the last success makes no call at all, so re-runs are
idempotent. Failures are kept with their message (never the token) and retried with backoff.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import asdict
from typing import Any, Callable, Optional

from ckan import model
from ckan.plugins import PluginImplementations
from ckan.plugins import toolkit as tk

from ckanext.cityopendata.jobs_after_commit import enqueue_after_commit
from ckanext.cityopendata.publishing import workflow as wf
from ckanext.cityopendata.publishing.interfaces import ICityOpenDataNationalTarget, NationalTarget, TargetError
from ckanext.cityopendata.publishing.model import NationalSync, now
from ckanext.cityopendata.publishing.national.mapping import to_national

log = logging.getLogger(__name__)

PENDING, SYNCED, FAILED, WITHDRAWN = "pending", "synced", "failed", "withdrawn"


def configured() -> bool:
    return bool(tk.config.get("ckanext.cityopendata.national.url"))


def make_target() -> NationalTarget:
    name = tk.config.get("ckanext.cityopendata.national.target")
    factories: dict[str, Callable[[], NationalTarget]] = {}
    for plugin in PluginImplementations(ICityOpenDataNationalTarget):
        factories.update(plugin.national_targets())
    if name not in factories:
        from ckanext.cityopendata.publishing.national.ckan_target import CkanNationalTarget

        factories.setdefault("ckan", CkanNationalTarget)
    if name not in factories:
        raise TargetError(tk._("Unknown national target: {name}").format(name=name))
    return factories[name]()


def should_be_public(pkg: model.Package) -> bool:
    return wf.is_public(pkg) and wf.state_of(pkg) == wf.PUBLISHED and pkg.type == "dataset"


def _row(pkg: model.Package) -> NationalSync:
    row = model.Session.get(NationalSync, pkg.id)
    if row is None:
        row = NationalSync(package_id=pkg.id, package_name=pkg.name, status=PENDING, action="push", attempts=0,
                           details={})
        model.Session.add(row)
    return row


def after_dataset_change(pkg: model.Package) -> None:
    """Called in the transaction of a dataset change: mark it pending and queue its push for
    when the change commits."""
    row = model.Session.get(NationalSync, pkg.id)
    if should_be_public(pkg):
        row = _row(pkg)
        row.action, row.status, row.package_name = "push", PENDING, pkg.name
    elif row is not None and row.status != WITHDRAWN:
        row.action, row.status = "withdraw", PENDING
    else:
        return
    if configured():
        # the worker must read the committed change, and nothing if the change rolls back
        enqueue_after_commit(sync_dataset_job, [pkg.id], job_id(pkg.id), f"cityopendata national sync {pkg.name}")


def job_id(package_id: str) -> str:
    return f"cityopendata-national-{package_id}"


def _backoff(attempts: int) -> dt.timedelta:
    base = float(tk.config.get("ckanext.cityopendata.national.retry_delay"))
    return dt.timedelta(seconds=min(base * 60 * (2 ** max(attempts - 1, 0)), 6 * 3600))


def _payload_hash(mapped: Any) -> str:
    return hashlib.sha256(json.dumps(asdict(mapped), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def sync_dataset(package_id: str, target: Optional[NationalTarget] = None, force: bool = False) -> str:
    """Bring one dataset in line with the national portal. Returns what happened:
    ``synced``, ``unchanged``, ``withdrawn``, ``skipped`` or ``failed``."""
    pkg = model.Package.get(package_id)
    if pkg is None:
        return "skipped"
    row = model.Session.get(NationalSync, pkg.id)
    public = should_be_public(pkg)
    if not public and row is None:
        return "skipped"
    row = _row(pkg)
    retries = int(tk.config.get("ckanext.cityopendata.national.retries"))
    delay = float(tk.config.get("ckanext.cityopendata.national.retry_delay"))
    outcome = "skipped"
    for attempt in range(retries + 1):
        row.last_attempt = now()
        try:
            if public:
                shown = tk.get_action("package_show")({"ignore_auth": True, "use_cache": False}, {"id": pkg.id})
                mapped = to_national(shown)
                digest = _payload_hash(mapped)
                if not force and row.status == SYNCED and row.payload_hash == digest and row.action == "push":
                    outcome = "unchanged"
                else:
                    target = target or make_target()
                    row.remote_id = target.push(mapped, row.remote_id)
                    row.payload_hash, row.last_synced, outcome = digest, now(), "synced"
                row.action, row.status = "push", SYNCED
            else:
                if row.status != WITHDRAWN or force:
                    target = target or make_target()
                    target.withdraw(pkg.id, to_national({"id": pkg.id, "name": pkg.name}).name, row.remote_id)
                    row.last_synced = now()
                row.action, row.status, row.payload_hash, outcome = "withdraw", WITHDRAWN, None, "withdrawn"
            row.error, row.attempts, row.next_attempt = None, 0, None
            break
        except TargetError as error:
            row.status, row.error = FAILED, str(error)[:1000]
            row.attempts = (row.attempts or 0) + 1
            row.next_attempt = now() + _backoff(row.attempts)
            outcome = "failed"
            log.warning("national sync of %s failed: %s", pkg.name, row.error)
            if not error.transient or attempt == retries:
                break
            time.sleep(delay * (2 ** attempt))
    model.repo.commit()
    return outcome


def sync_dataset_job(package_id: str) -> None:
    """Background job: sync one dataset (safe to re-run)."""
    try:
        sync_dataset(package_id)
    finally:
        model.Session.remove()


def datasets_to_sync() -> list[str]:
    """Every published public dataset, and every dataset with a sync state (to withdraw it)."""
    public = {
        pid
        for (pid,) in model.Session.query(model.Package.id)
        .filter(model.Package.state == "active", model.Package.private.is_(False), model.Package.type == "dataset")
    }
    tracked = {pid for (pid,) in model.Session.query(NationalSync.package_id)}
    return sorted(public | tracked)


def status_summary() -> dict[str, Any]:
    rows = model.Session.query(NationalSync).order_by(NationalSync.last_attempt.desc().nullslast()).all()
    counts = {PENDING: 0, SYNCED: 0, FAILED: 0, WITHDRAWN: 0}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return {"configured": configured(), "url": tk.config.get("ckanext.cityopendata.national.url") or "",
            "counts": counts, "datasets": [r.as_dict() for r in rows]}
