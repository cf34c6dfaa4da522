"""The complaints app; at start-up it plugs the Celery task queue into the outbox."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "complaints"
    verbose_name = _("Complaints registry")

    def ready(self) -> None:
        # Plugs the task queue into the outbox (notifications/publish.py): the only wiring
        # between the layers that runs at start-up. It registers no signal handlers.
        # ... and into evidence intake, which queues each stripped copy after commit (services/evidence_copies.py).
        from complaints import tasks as domain_tasks  # noqa: F401
        from complaints.notifications import tasks  # noqa: F401
