"""`worker --burst` drains every queue Satja names, on the configured Redis."""

from __future__ import annotations

from rq import Queue

from workers.broker import QUEUES


def test_worker_drains_every_queue(runner, redis_conn):
    jobs = [Queue(name, connection=redis_conn).enqueue("builtins.len", name) for name in QUEUES]
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    for job in jobs:
        job.refresh()
        assert job.is_finished
        assert job.return_value() == len(job.args[0])
