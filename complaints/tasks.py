"""Periodic domain tasks. Tasks take ids, call services, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from complaints import services
from complaints.services.evidence_copies import set_copy_publisher


@shared_task(name="complaints.tasks.sla_check")
def sla_check() -> int:
    """Mark SLA breaches (each exactly once), raise priority, notify coordinators."""
    return services.sla_check()


@shared_task(name="complaints.tasks.housekeeping")
def housekeeping() -> dict[str, int]:
    """Daily: purge expired idempotency records, old webhook delivery log rows and login-throttling logs."""
    return services.housekeeping_purge()


@shared_task(name="complaints.tasks.held_uploads_sweep")
def held_uploads_sweep() -> int:
    """Every quarter of an hour: delete the held uploads of filing forms that expired unsent."""
    return services.held_uploads_purge()


@shared_task(name="complaints.tasks.evidence_copy", ignore_result=True)
def evidence_copy(evidence_id: int) -> str:
    """Make the stripped copy of one evidence file (after its upload committed); its state. Safe to run twice."""
    return services.evidence_copy_make(evidence_id=evidence_id)


@shared_task(name="complaints.tasks.evidence_copies_sweep", ignore_result=True)
def evidence_copies_sweep() -> int:
    """Every few minutes: queue the copies still pending (a lost publish, a broker outage, a migration)."""
    due = services.evidence_copies_due()
    for evidence_id in due:
        evidence_copy.delay(evidence_id)
    return len(due)


def _publish_copy(evidence_id: int) -> None:
    """Queue one copy right after commit, with one quick broker retry (then the sweep has it)."""
    evidence_copy.apply_async(
        (evidence_id,), retry=True, retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
    )


set_copy_publisher(_publish_copy)


@shared_task(name="complaints.tasks.telegram_update_process", ignore_result=True)
def telegram_update_process(update_pk: int) -> bool:
    """Process one received Telegram update (file, answer, reply), if nobody else has: the "messengers" queue."""
    return services.telegram_update_process(update_pk=update_pk)


@shared_task(name="complaints.tasks.telegram_updates_sweep", ignore_result=True)
def telegram_updates_sweep() -> int:
    """Every half minute: queue updates still unprocessed (a lost publish, a failed attempt); tidy old ones."""
    due = services.telegram_updates_due()
    for pk in due:
        telegram_update_process.delay(pk)
    services.telegram_housekeeping()
    return len(due)


def _publish_update(update_pk: int) -> None:
    telegram_update_process.apply_async(
        (update_pk,), retry=True, retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
    )


services.set_update_publisher(_publish_update)


@shared_task(name="complaints.tasks.audit_checkpoint")
def audit_checkpoint() -> int | None:
    """Hourly: sign the head of every audit chain (nothing when no chain moved); the checkpoint's serial."""
    from complaints.services.checkpoints import audit_checkpoint as make_checkpoint

    result = make_checkpoint(trigger="scheduled", skip_unchanged=True)
    return result.checkpoint.serial if result.checkpoint else None


@shared_task(name="complaints.tasks.case_deadlines_check")
def case_deadlines_check() -> dict[str, int]:
    """Start filing clocks; warn coordinators 24 h and 2 h before a statutory deadline; record misses (once each)."""
    return services.case_deadlines_check()


@shared_task(name="complaints.tasks.ping")
def ping(value: str) -> str:
    """Round-trip probe used by readiness checks and the worker integration test."""
    return value


__all__ = [
    "audit_checkpoint",
    "evidence_copies_sweep",
    "evidence_copy",
    "held_uploads_sweep",
    "housekeeping",
    "ping",
    "sla_check",
    "telegram_update_process",
    "telegram_updates_sweep",
]
