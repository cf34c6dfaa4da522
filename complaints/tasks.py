"""Periodic domain tasks. Tasks take ids, call services, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from complaints import services


@shared_task(name="complaints.tasks.sla_check")
def sla_check() -> int:
    """Mark SLA breaches (each exactly once), raise priority, notify coordinators."""
    return services.sla_check()


@shared_task(name="complaints.tasks.housekeeping")
def housekeeping() -> dict[str, int]:
    """Daily: purge expired idempotency records, old webhook delivery log rows and login-throttling logs."""
    return services.housekeeping_purge()


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


__all__ = ["audit_checkpoint", "housekeeping", "ping", "sla_check"]
