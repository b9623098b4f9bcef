"""The nightly backup: one file a night in SATJA_BACKUP_DIR, the newest few kept."""

from __future__ import annotations

import logging
import time

from models.backup import create_backup, prune, suffix
from workers import runtime, stats

log = logging.getLogger(__name__)


def nightly_backup(day: str) -> str:
    """Job: back the database up as satja-<day>; a night already backed up is left as it is."""
    rt = runtime.current()
    folder = rt.settings.backup_dir
    if folder is None:
        return "not configured"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"satja-{day}{suffix(rt.settings.database_url)}"
    if target.exists():
        return "done already"
    started = time.monotonic()
    try:
        create_backup(rt.settings.database_url, target)
    except Exception:
        stats.count(rt.redis, "backups", "failed")
        log.exception("backup %s failed", day)
        raise
    stats.count(rt.redis, "backups", "ok")
    stats.mark(
        rt.redis,
        {
            "backup_last_success": time.time(),  # wall clock: Prometheus compares it
            "backup_duration_seconds": time.monotonic() - started,
            "backup_size_bytes": target.stat().st_size,
        },
    )
    gone = prune(folder, rt.settings.backup_keep)
    log.info("backup %s: %d bytes, %d old one(s) removed", day, target.stat().st_size, len(gone))
    return target.name
