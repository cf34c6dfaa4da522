"""Files attached to a filing form that was sent back with an error, held until the form is sent again.

A held upload belongs to no complaint and names nobody: only the hash of a random value kept
in the filer's browser (``holder_hash``) ties it to the device, and a random ``key`` to the
form that lists it. It is deleted when the complaint is filed, when it expires
(``expires_at``, swept by housekeeping) and when the device is forgotten.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HeldUpload(models.Model):
    key = models.CharField(_("key"), max_length=64, unique=True)
    holder_hash = models.CharField(_("holder hash"), max_length=64, db_index=True)
    file = models.FileField(_("file"), upload_to="held/", max_length=200)
    original_name = models.CharField(_("original name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("held upload")
        verbose_name_plural = _("held uploads")

    def __str__(self) -> str:
        return self.original_name
