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
    """Daily: purge expired idempotency records and old webhook delivery log rows."""
    return services.housekeeping_purge()


@shared_task(name="complaints.tasks.ping")
def ping(value: str) -> str:
    """Round-trip probe used by readiness checks and the worker integration test."""
    return value


__all__ = ["housekeeping", "ping", "sla_check"]
