"""Sending the outbox: one job per message with a fixed id, and a sweeper for strays."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import or_, select

from config.logs import current_request_id
from models.base import utcnow
from models.outbox import OutboundMessage, Status
from models.phones import mask_phone
from workers import runtime, stats
from workers.broker import announce_in
from workers.sms_backends import PermanentSmsError, Sent, TransientSmsError

log = logging.getLogger(__name__)
SMS_QUEUE = "sms"
RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])
MAX_ATTEMPTS = 8
STRAY_AFTER = dt.timedelta(minutes=1)  # queued this long without a send: the job was lost
STUCK_AFTER = dt.timedelta(minutes=5)  # 'sending' this long: the worker died mid-send
LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def job_id(message_id: int) -> str:
    """The fixed job id of a message: enqueuing it twice does no harm."""
    return f"sms-{message_id}"


def enqueue_sends(
    redis: Redis,
    message_ids: Iterable[int],
    moved: Iterable[str] = (),
    request_ids: Mapping[int, str] | None = None,
) -> int:
    """Enqueue committed messages in one round trip; if Redis is down, the sweeper will."""
    # `moved`: generations the same commit moved on (models/changes.py), announced in that
    # round trip. `request_ids`: the request that wrote each message, when it is not the
    # work in hand (the relay's batches, workers/relay.py).
    ids, moved = list(message_ids), set(moved)
    if not ids and not moved:
        return 0
    queue = Queue(SMS_QUEUE, connection=redis)
    # The request that wrote them rides along, so the worker's log lines carry its id.
    here = current_request_id()
    jobs = []
    for i in ids:
        rid = request_ids.get(i) if request_ids is not None else here
        meta = {"request_id": rid} if rid else None
        jobs.append(Queue.prepare_data(send_sms, (i,), job_id=job_id(i), retry=RETRY, meta=meta))
    try:
        with redis.pipeline() as pipe:
            announce_in(pipe, moved)
            if jobs:
                queue.enqueue_many(jobs, pipeline=pipe)
            pipe.execute()
    except RedisError:
        # A snapshot the announcement missed expires on its own (SNAPSHOT_TTL).
        log.warning("sms %s: redis unavailable, left for the sweeper", ids)
        return 0
    return len(ids)


def _claim(message_id: int) -> tuple[str, str] | None:
    """Mark the message as being sent; None if it is not ours to send now."""
    with runtime.current().db.transaction() as session:
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        if message is None or message.status != Status.QUEUED:
            return None
        if message.not_before is not None and message.not_before > utcnow():
            return None  # quiet hours: the sweeper sends it when they end
        message.status = Status.SENDING.value
        message.attempts += 1
        return message.to_phone, message.text


def _finish(message_id: int, **changes: object) -> None:
    with runtime.current().db.transaction() as session:
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        for name, value in changes.items():
            setattr(message, name, value)


def _record_sent(message_id: int, sent: Sent) -> None:
    with runtime.current().db.transaction() as session:
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        message.failure_reason = None
        # Kannel's report can come back before this commit: never step back from it.
        if sent.provider_id:
            message.provider_id = sent.provider_id
        if message.status == Status.SENDING.value:
            message.status = sent.status.value


def send_sms(message_id: int) -> str:
    """Send one outbox message; safe to run twice; raises so that RQ retries."""
    claimed = _claim(message_id)
    if claimed is None:
        return "skipped"
    to, text = claimed
    try:
        sent = runtime.current().backend.send(to, text, message_id)
    except TransientSmsError as exc:
        log.warning("sms %s to %s: will retry: %s", message_id, mask_phone(to), exc)
        with runtime.current().db.transaction() as session:
            message = session.get(OutboundMessage, message_id, with_for_update=True)
            gave_up = message.attempts >= MAX_ATTEMPTS
            message.status = (Status.FAILED if gave_up else Status.QUEUED).value
            message.failure_reason = str(exc)[:200]
        redis = runtime.current().redis
        if gave_up:
            stats.count(redis, "sms_sends", "failed")
            stats.count(redis, "sms_delivery_failures", stats.reason_class(str(exc)))
            return "failed"
        stats.count(redis, "sms_sends", "retried")
        raise
    except PermanentSmsError as exc:
        log.error("sms %s to %s: failed: %s", message_id, mask_phone(to), exc)
        _finish(message_id, status=Status.FAILED.value, failure_reason=str(exc)[:200])
        stats.count(runtime.current().redis, "sms_sends", "failed")
        stats.count(runtime.current().redis, "sms_delivery_failures", stats.reason_class(str(exc)))
        return "failed"
    _record_sent(message_id, sent)
    log.info("sms %s to %s: %s", message_id, mask_phone(to), sent.status)
    stats.count(runtime.current().redis, "sms_sends", "sent")
    return sent.status.value


def _job_alive(redis: Redis, message_id: int) -> bool:
    try:
        return Job.fetch(job_id(message_id), connection=redis).get_status() in LIVE
    except NoSuchJobError:
        return False


def sweep_outbox(now: dt.datetime | None = None) -> int:
    """Re-enqueue messages whose job was lost or whose worker died; return how many."""
    now = now or utcnow()
    rt = runtime.current()
    with rt.db.transaction() as session:
        stuck = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.status == Status.SENDING.value,
                OutboundMessage.updated_at < now - STUCK_AFTER,
            )
        ).all()
        revived = []
        for message in stuck:
            message.status = Status.QUEUED.value
            revived.append(message.id)
        due = session.scalars(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.status == Status.QUEUED.value,
                OutboundMessage.created_at < now - STRAY_AFTER,
                or_(OutboundMessage.not_before.is_(None), OutboundMessage.not_before <= now),
            )
            .order_by(OutboundMessage.id)
        ).all()
    # A job whose worker died still says 'started' in Redis: do not believe it.
    lost = [i for i in due if i in revived or not _job_alive(rt.redis, i)]
    return enqueue_sends(rt.redis, lost)
