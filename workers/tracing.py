"""An RQ worker whose log lines carry the job's id and the request that enqueued it."""

from __future__ import annotations

from rq import Queue, Worker
from rq.executions import Execution
from rq.job import Job

from config.logs import JOB_ID, REQUEST_ID


class Tracing:
    """Mixed into an RQ worker: each job runs with its ids set for config.logs."""

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        """Run the job with its ids in the log context (in the forked work horse)."""
        request = REQUEST_ID.set((job.meta or {}).get("request_id"))
        job_token = JOB_ID.set(job.id)
        try:
            return super().perform_job(job, queue, execution)
        finally:
            JOB_ID.reset(job_token)
            REQUEST_ID.reset(request)


class TracingWorker(Tracing, Worker):
    """RQ's forking worker, tracing."""
