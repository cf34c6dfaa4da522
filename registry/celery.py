"""The Celery app, as the Celery docs show it for Django.

Tasks are registered from the modules listed in settings.CELERY_IMPORTS (imported by the
worker at start-up), not by autodiscovery: the notification tasks live in a sub-package
that autodiscovery would not find.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
