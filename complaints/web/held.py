"""The filing form's held files, for browsers without JavaScript.

A browser cannot put a file back into a re-shown form, so the files a form sent with an
error are held on the server (``services.held``) and listed on the re-shown form as
"attached", each by a signed token in a hidden ``held`` field (its key, name and size, so a
file that expired meanwhile can still be named). A ``held_remove`` box leaves one out. What
cannot be held (a refused file, a full disk, an expired one) is named as a form error on
``files``: to be attached again. A complaint is never filed with fewer files than the form
listed without the filer being told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from complaints import services
from complaints.errors import Unavailable
from complaints.models import HeldUpload
from complaints.web.forms import MAX_FILES

SALT = "complaints.web.held"


@dataclass(frozen=True)
class HeldRef:
    key: str
    name: str
    size: int


def token(held: HeldUpload) -> str:
    return signing.dumps({"k": held.key, "n": held.original_name, "s": held.size}, salt=SALT)


def read_tokens(values: list[str]) -> list[HeldRef]:
    """The refs a form's tokens carry, in order, without repeats; a forged or garbled token is ignored.

    Age is not read here: a held upload's own expiry decides, so an expired one is still named.
    """
    refs: dict[str, HeldRef] = {}
    for value in values[: MAX_FILES * 2]:
        try:
            data = signing.loads(value, salt=SALT)
        except signing.BadSignature:
            continue
        if isinstance(data, dict) and isinstance(data.get("k"), str) and data["k"] not in refs:
            refs[data["k"]] = HeldRef(data["k"], str(data.get("n", "")), int(data.get("s") or 0))
    return list(refs.values())


@dataclass
class Attachments:
    """The files a filing form lists as attached earlier, and what became of them."""

    holder: str | None
    kept: list[HeldUpload] = field(default_factory=list)
    lost: list[HeldRef] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [h.key for h in self.kept]

    def entries(self) -> list[dict[str, Any]]:
        """What the re-shown form lists: name, size and the token to send back."""
        return [{"token": token(h), "name": h.original_name, "size": h.size} for h in self.kept]


def attachments_from(request: Any, holder: str | None) -> Attachments:
    """The held files a filing POST lists; those it asks to remove are deleted now."""
    refs = read_tokens(request.POST.getlist("held"))
    removed = {r.key for r in read_tokens(request.POST.getlist("held_remove"))}
    if removed:
        services.held_uploads_delete(keys=sorted(removed), holder=holder)
    refs = [r for r in refs if r.key not in removed]
    found = services.held_uploads_find(keys=[r.key for r in refs], holder=holder)
    return Attachments(
        holder=holder,
        kept=[found[r.key] for r in refs if r.key in found],
        lost=[r for r in refs if r.key not in found],
    )


def report_lost(form: Any, names: list[str]) -> None:
    for name in names:
        form.add_error(
            "files",
            _(
                "“%(name)s” was attached earlier but is no longer kept on the server (files are kept "
                "for %(minutes)s minutes). Attach it again."
            )
            % {"name": name, "minutes": settings.HELD_UPLOAD_TTL_MINUTES},
        )


def hold_new(form: Any, attachments: Attachments) -> None:
    """Hold the form's accepted new files for its next submission; name those that cannot be held."""
    for upload in getattr(form, "accepted_files", []):
        if attachments.holder is None:
            attachments.holder = services.new_holder()
        try:
            attachments.kept.append(services.held_upload_create(upload=upload, holder=attachments.holder))
        except (services.ServiceError, Unavailable) as exc:
            form.add_error(
                "files",
                _("“%(name)s” could not be kept: %(reason)s Attach it again.")
                % {"name": services.sanitize_filename(upload.name or ""), "reason": exc.message},
            )
