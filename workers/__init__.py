"""RQ queues, jobs and their schedule."""
