"""Admin labels of django-axes, django.contrib.auth and djangorestframework-api-key that their own
catalogs leave untranslated in Russian or Kazakh. Listed here so that makemessages keeps our
translations of them (complaints/locale comes first in LOCALE_PATHS); never imported."""

from django.utils.translation import gettext_noop as _

LABELS = (
    _("Locked Out"),
    _("User Agent"),
    _("access attempt expiration"),
    _("Session key hash (sha256)"),
    _("Expires"),
    _("HTTP Accept"),
    _("IP Address"),
    _("Password-based authentication"),
    _("Logout Time"),
    _("Attempt Time"),
    _("GET Data"),
    _("POST Data"),
    _("Access lock out"),
    _("access log"),
    _("access logs"),
    _("access attempt"),
    _("access attempts"),
    _("access failure"),
    _("access failures"),
    _("Failed Logins"),
    _("Authentication and Authorization"),
    _("Path"),
    _("email address"),
)
