"""Background jobs with a deterministic id: a burst of requests for one object makes one job."""
from __future__ import annotations

from typing import Any, Callable

from ckan.plugins import toolkit as tk

QUEUE = "default"


def enqueue_once(function: Callable[..., Any], args: list[Any], job_id: str, title: str) -> bool:
    """Enqueue unless a job with this id is already waiting; True when a new job was queued."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from ckan.lib.redis import connect_to_redis

    try:
        waiting = Job.fetch(job_id, connection=connect_to_redis())
        if waiting.get_status(refresh=True) in ("queued", "deferred", "scheduled"):
            return False
        waiting.delete()
    except NoSuchJobError:
        pass
    tk.enqueue_job(function, args, title=title, rq_kwargs={"job_id": job_id})
    return True
