"""Background jobs asked for inside a database transaction go out only once that transaction commits.

A job queued from a dataset hook (``after_dataset_update``, ``after_dataset_delete`` …) runs in a
worker that may pick it up before the change is committed: it would read the old state, or a
dataset that a rollback then makes never exist. ``enqueue_after_commit`` keeps such a job in
``model.Session.info`` and hands it to the queue from SQLAlchemy's ``after_commit`` event of the
outermost transaction; a rollback (of the transaction or of the savepoint the job was asked for
in) or a session closed without a commit drops it. A job asked for when the transaction has
written nothing (the change is already committed) goes out at once. Jobs carry a deterministic
id: a burst of requests for one object makes one job.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction

from ckan import model
from ckan.plugins import toolkit as tk

__all__ = ["enqueue_after_commit", "enqueue_once", "install", "pending_job_ids"]

log = logging.getLogger(__name__)

PENDING_KEY = "cityopendata_jobs_after_commit"
COMMITTED_KEY = "cityopendata_jobs_committed_transactions"
WAITING = ("queued", "deferred", "scheduled")


@dataclass
class PendingJob:
    function: Callable[..., Any]
    args: list[Any]
    job_id: str
    title: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    queue: Optional[str] = None
    transaction: Optional[SessionTransaction] = None


def enqueue_once(
    function: Callable[..., Any], args: list[Any], job_id: str, title: str,
    kwargs: Optional[dict[str, Any]] = None, queue: Optional[str] = None,
) -> bool:
    """Queue now unless a job with this id is already waiting; True when a new job was queued.

    A job of that id already running may have read the object before the change that asks for
    this one: one follow-up job (``<id>-again``) is queued, never more."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from ckan.lib.redis import connect_to_redis

    connection = connect_to_redis()
    for candidate in (job_id, f"{job_id}-again"):
        try:
            existing = Job.fetch(candidate, connection=connection)
        except NoSuchJobError:
            break
        status = existing.get_status(refresh=True)
        if status in WAITING:
            return False
        if status == "started":
            continue
        existing.delete()
        break
    else:
        return False
    options: dict[str, Any] = {"title": title, "rq_kwargs": {"job_id": candidate}}
    if queue:
        options["queue"] = queue
    tk.enqueue_job(function, args, kwargs or {}, **options)
    return True


def _has_written(session: Session) -> bool:
    """Whether the session's transaction holds changes that are not committed yet."""
    if not session.in_transaction():
        return False
    if session.new or session.deleted or session.dirty:
        return True
    try:
        # PostgreSQL assigns a transaction id at the first write (savepoints included)
        return session.execute(text("SELECT txid_current_if_assigned()")).scalar() is not None
    except Exception:  # a transaction that cannot run a query will roll back: keep the job for it
        log.debug("could not ask PostgreSQL whether the transaction wrote", exc_info=True)
        return True


def enqueue_after_commit(
    function: Callable[..., Any], args: list[Any], job_id: str, title: str,
    kwargs: Optional[dict[str, Any]] = None, queue: Optional[str] = None,
) -> None:
    """Queue a job (once per ``job_id``) when the current transaction of ``model.Session``
    commits; drop it if the transaction, or the savepoint it is asked for in, rolls back."""
    install()
    job = PendingJob(function, list(args), job_id, title, dict(kwargs or {}), queue)
    session = model.Session()
    if not _has_written(session):
        _dispatch(job)
        return
    job.transaction = session.get_nested_transaction() or session.get_transaction()
    pending: dict[str, PendingJob] = session.info.setdefault(PENDING_KEY, {})
    previous = pending.pop(job_id, None)
    if previous is not None and previous.transaction is not job.transaction:
        # asked for again in an inner savepoint: still owed if that savepoint rolls back
        job.transaction = _outer(previous.transaction, job.transaction)
    pending[job_id] = job


def _outer(a: Optional[SessionTransaction], b: Optional[SessionTransaction]) -> Optional[SessionTransaction]:
    """Of two transactions on one chain of nesting, the outer one."""
    walker = b
    while walker is not None:
        if walker is a:
            return a
        walker = walker.parent
    return b


def pending_job_ids() -> list[str]:
    """Jobs of the current session waiting for its transaction to commit."""
    return list(model.Session.info.get(PENDING_KEY, {}))


def _dispatch(job: PendingJob) -> None:
    try:
        enqueue_once(job.function, job.args, job.job_id, job.title, job.kwargs, job.queue)
    except Exception:  # the change is committed: a queue that is down must not undo it or hide it
        log.exception("could not queue the job %s after its change was committed", job.job_id)


def _after_commit(session: Session) -> None:
    committed = session.get_nested_transaction() or session.get_transaction()
    if committed is not None and session.info.get(PENDING_KEY):
        session.info.setdefault(COMMITTED_KEY, set()).add(committed)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    pending: dict[str, PendingJob] = session.info.get(PENDING_KEY) or {}
    committed: set[SessionTransaction] = session.info.get(COMMITTED_KEY) or set()
    ended = [job for job in pending.values() if job.transaction is transaction]
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(COMMITTED_KEY, None)
        if transaction in committed:
            for job in ended:
                _dispatch(job)
        elif ended:
            log.debug("transaction rolled back: dropped jobs %s", ", ".join(j.job_id for j in ended))
        return
    was_committed = transaction in committed
    committed.discard(transaction)
    for job in ended:
        if transaction.nested and not was_committed:  # its savepoint rolled back
            del pending[job.job_id]
        else:
            job.transaction = transaction.parent


def install() -> None:
    """Listen to the commits and rollbacks of CKAN's session (once a process)."""
    if event.contains(model.Session, "after_transaction_end", _after_transaction_end):
        return
    event.listen(model.Session, "after_commit", _after_commit)
    event.listen(model.Session, "after_transaction_end", _after_transaction_end)
