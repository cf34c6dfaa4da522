"""Django admin: useful to a reviewer from day one, and scoped like every other path.

Status, hashes, receipt codes and the audit trail are read-only here: changes of state go
through the services (the web UI and API), never through an admin form.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from complaints import (
    services,
    staff_sessions,  # noqa: F401 - connects the staff session limit to every login
)
from complaints.access import can_view_identity, visible_complaints
from complaints.errors import NotAllowed, ValidationFailed
from complaints.masking import mask_email, mask_name, mask_phone
from complaints.models import (
    ApiKey,
    AuditEvent,
    Category,
    Complaint,
    Election,
    Evidence,
    Note,
    PollingStation,
    Profile,
    Reporter,
    TerritorialUnit,
)
from complaints.notifications import admin as notifications_admin  # noqa: F401 - registers the outbox admin
from complaints.services.notes import REVEAL_PURPOSE_MAX_LENGTH
from complaints.services.territory import ImportFailed, ImportResult, polling_stations_import_csv

# API keys are complaints.ApiKey (below); the library's own model is unused, and its admin
# section ("API Key Permissions", untranslated) only duplicated ours.
if admin.site.is_registered(LibraryAPIKey):
    admin.site.unregister(LibraryAPIKey)

# Two-factor devices are managed by their owner (complaints/web/two_factor.py) and reset by the
# reset_two_factor command: django-otp's admin would show the TOTP secrets to staff (and is untranslated).
for otp_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(otp_model):
        admin.site.unregister(otp_model)


class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """django-axes' admin, with a translatable header for its status column."""

    @admin.display(description=_("Status"))
    def status(self, obj: AccessAttempt) -> str:
        return str(super().status(obj))


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ["name_ru", "kind", "voting_day", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["name_ru", "name_kk", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(TerritorialUnit)
class TerritorialUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ru", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["code", "name_ru", "name_kk", "name_en"]
    readonly_fields = ["path"]
    autocomplete_fields = ["parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Moving a unit or renaming its code would orphan the paths stored below it.
        return ["path", "parent", "code"] if obj else ["path"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and {"name_ru", "name_kk", "name_en"} & set(form.changed_data):  # names are searched
            services.search_index_refresh_units(unit_paths=[obj.path])


@admin.register(PollingStation)
class PollingStationAdmin(admin.ModelAdmin):
    list_display = ["number", "address", "unit"]
    list_filter = [("unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "address"]
    autocomplete_fields = ["unit"]
    change_list_template = "admin/complaints/pollingstation/change_list.html"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and {"number", "address"} & set(form.changed_data):  # both are searched
            services.search_index_refresh(complaint_ids=obj.complaints.values_list("pk", flat=True))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="complaints_pollingstation_import"), *super().get_urls()]

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Importing creates units and stations and changes stations: all three permissions."""
        user = request.user
        return all(
            user.has_perm(f"complaints.{perm}")
            for perm in ("add_pollingstation", "change_pollingstation", "add_territorialunit")
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """The same all-or-nothing import as ``manage.py import_polling_stations``, from an uploaded file."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = TerritoryImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data["file"].read()
            try:
                result = polling_stations_import_csv(
                    data=data, country=form.cleaned_data["country"], dry_run=form.cleaned_data["dry_run"]
                )
            except ImportFailed as failed:
                errors = [str(error) for error in failed.errors]
            else:
                self.message_user(request, import_summary(result, dry_run=form.cleaned_data["dry_run"]))
                if form.cleaned_data["dry_run"]:
                    form = TerritoryImportForm(initial={"country": form.cleaned_data["country"]})
                else:
                    return HttpResponseRedirect(reverse("admin:complaints_pollingstation_changelist"))
        if errors:
            self.message_user(
                request,
                gettext("%(count)s problem(s) found; nothing was imported. Fix the rows below and try again.")
                % {"count": len(errors)},
                level=messages.ERROR,
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import polling stations from CSV"),
            "form": form,
            "errors": errors,
            "file_name": getattr(request.FILES.get("file"), "name", ""),
        }
        return TemplateResponse(request, "admin/complaints/pollingstation/import.html", context)


class TerritoryImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, with a header row: region_code, district_code, station_number, address, and, to create "
            "units, region_name_ru and district_name_ru (see docs/import.md)."
        ),
    )
    country = forms.CharField(
        label=_("Country code"),
        initial="kz",
        max_length=40,
        help_text=_("The existing unit that new regions are created under."),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file"), required=False, help_text=_("Report what would change; save nothing.")
    )


def import_summary(result: ImportResult, *, dry_run: bool) -> str:
    prefix = gettext("Dry run, nothing saved. Would have imported") if dry_run else gettext("Imported")
    return gettext(
        "%(prefix)s %(rows)s rows: %(created)s stations created, %(updated)s updated, "
        "%(unchanged)s unchanged; %(regions)s regions and %(districts)s districts created."
    ) % {
        "prefix": prefix,
        "rows": result.rows,
        "created": result.stations_created,
        "updated": result.stations_updated,
        "unchanged": result.stations_unchanged,
        "regions": len(result.regions_created),
        "districts": len(result.districts_created),
    }


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_ru", "name_en", "default_severity", "is_active", "sort_order"]
    list_filter = ["is_active", "default_severity"]
    search_fields = ["code", "name_ru", "name_kk", "name_en"]
    list_editable = ["is_active", "sort_order"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj else []  # codes are stable: API clients key on them


class EvidenceInline(ReadOnlyMixin, admin.TabularInline):
    model = Evidence
    fields = ["original_name", "content_type", "size", "sha256", "uploaded_at"]
    readonly_fields = ["original_name", "content_type", "size", "sha256", "uploaded_at"]
    extra = 0


# The filer's own account is never named in the admin (as on the timeline): a note or an
# audit event by the complainant shows "the complainant"; who that is takes a reveal.
COMPLAINANT_LABEL = _("the complainant")


def _reporter_user_id(complaint: Complaint) -> int | None:
    reporter = getattr(complaint, "reporter", None)
    return reporter.user_id if reporter is not None else None


def note_author(note: Note) -> str:
    if note.from_complainant or (note.author_id and note.author_id == _reporter_user_id(note.complaint)):
        return str(COMPLAINANT_LABEL)
    return note.author.get_username() if note.author is not None else "—"


def event_actor(event: AuditEvent) -> str:
    if event.actor_id is not None and event.actor_id == _reporter_user_id(event.complaint):
        return str(COMPLAINANT_LABEL)
    if event.actor_id is None and event.actor_label not in ("", "complainant", "system", "anonymous"):
        # The recorded name of an account since deleted. When the filer's account is gone too
        # (the reporter's link is then empty) it may be theirs: not shown.
        return event.actor_label if _reporter_user_id(event.complaint) is not None else "—"
    return event.actor_label or "—"


class NoteInline(ReadOnlyMixin, admin.TabularInline):
    model = Note
    fields = ["created_at", "shown_author", "visibility", "from_complainant", "body"]
    readonly_fields = ["created_at", "shown_author", "visibility", "from_complainant", "body"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Note]:
        return super().get_queryset(request).select_related("author", "complaint__reporter")

    @admin.display(description=_("author"))
    def shown_author(self, obj: Note) -> str:
        return note_author(obj)


class AuditInline(ReadOnlyMixin, admin.TabularInline):
    model = AuditEvent
    fields = ["seq", "created_at", "action", "shown_actor", "from_status", "to_status", "payload", "hash"]
    readonly_fields = ["seq", "created_at", "action", "shown_actor", "from_status", "to_status", "payload", "hash"]
    extra = 0
    ordering = ["seq"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).select_related("complaint__reporter")

    @admin.display(description=_("actor"))
    def shown_actor(self, obj: AuditEvent) -> str:
        return event_actor(obj)


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["code", "status", "severity", "priority", "category", "unit", "assignee", "due_at", "created_at"]
    list_filter = [
        "status",
        "severity",
        "channel",
        "election",
        "category",
        ("unit", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["code", "polling_station__number", "description"]
    date_hierarchy = "created_at"
    list_select_related = ["category", "unit", "assignee"]
    readonly_fields = [
        "code",
        "status",
        "version",
        "assignee",
        "assigned_at",
        "due_at",
        "sla_paused_at",
        "sla_breached_at",
        "duplicate_of",
        "unit_path",
        "created_at",
        "updated_at",
    ]
    fields = [
        "code",
        "status",
        "election",
        "category",
        "polling_station",
        "unit",
        "unit_path",
        "place_text",
        "occurred_at",
        "description",
        "severity",
        "priority",
        "channel",
        "assignee",
        "assigned_at",
        "due_at",
        "sla_paused_at",
        "sla_breached_at",
        "duplicate_of",
        "version",
        "created_at",
        "updated_at",
    ]
    inlines = [EvidenceInline, NoteInline, AuditInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Complaint]:
        return visible_complaints(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # filing goes through complaint_file (web form or API)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # facts are evidence: they are not edited, only annotated

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Reporter fields that say who filed (or lead to them): never a filter, a search or a lookup
# in a URL (``?phone=...`` would find who filed what without a reveal), and shown in lists
# only masked. ``user`` too: ``?user=<id>`` would list one person's complaints.
REPORTER_IDENTITY_FIELDS = frozenset({"full_name", "email", "email_hash", "phone", "user", "secret_hash"})


def identity_lookup(lookup: str, fields: frozenset[str]) -> bool:
    return lookup.split(LOOKUP_SEP, 1)[0] in fields


class RevealPurposeForm(forms.Form):
    purpose = forms.CharField(
        label=_("Why do you need to see it?"),
        max_length=REVEAL_PURPOSE_MAX_LENGTH,
        help_text=_("Required. Recorded in the audit log with your name."),
        required=False,  # the service says what is wrong with an empty one, as on the web page
    )


@admin.register(Reporter)
class ReporterAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who filed what. The list shows contact data masked; seeing it whole takes a purpose and is audited.

    Needs ``view_reporter_identity`` (as ``/reporter/`` on the web does). The change page is a
    form asking why (a POST with CSRF; the purpose never goes into a URL); only a valid
    purpose shows the identity, through ``services.reporter_reveal``, which records the
    ``identity_viewed`` audit event like the web's reveal.
    """

    list_display = ["complaint", "is_anonymous", "masked_name", "masked_email", "masked_phone", "language"]
    list_filter = ["is_anonymous"]
    search_fields = ["complaint__code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reporter]:
        codes = visible_complaints(request.user).values("pk")
        return super().get_queryset(request).filter(complaint__in=codes).select_related("complaint")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view_identity(request.user)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        if identity_lookup(lookup, REPORTER_IDENTITY_FIELDS):
            return False  # answered 400 by the change list (DisallowedModelAdminLookup)
        return super().lookup_allowed(lookup, value, request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Reporter], search_term: str
    ) -> tuple[QuerySet[Reporter], bool]:
        # The receipt code only, whatever search_fields may grow into.
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(complaint__code__icontains=term), False

    @admin.display(description=_("full name"))
    def masked_name(self, obj: Reporter) -> str:
        return mask_name(obj.full_name) or "—"

    @admin.display(description=_("email"))
    def masked_email(self, obj: Reporter) -> str:
        return mask_email(obj.email) or "—"

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Reporter) -> str:
        return mask_phone(obj.phone) or "—"

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        reporter = self.get_object(request, unquote(object_id))
        if reporter is None or not self.has_view_permission(request, reporter):
            return super().change_view(request, object_id, form_url, extra_context)  # Django's 404 / 403
        form = RevealPurposeForm(request.POST if request.method == "POST" else None)
        identity = None
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                identity = services.reporter_reveal(
                    complaint=reporter.complaint, actor=request.user, purpose=form.cleaned_data["purpose"]
                )
            except NotAllowed as exc:
                raise PermissionDenied(str(exc)) from None
            except ValidationFailed as exc:
                form.add_error("purpose", str(exc))
        if request.method == "POST" and identity is None:
            status = 400
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "opts": self.model._meta,
            "title": _("Reporter"),
            "subtitle": reporter.complaint.code,
            "reporter": reporter,
            "identity": identity,
            "form": form,
        }
        return TemplateResponse(request, "admin/complaints/reporter/reveal.html", context, status=status)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["complaint", "seq", "action", "shown_actor", "from_status", "to_status", "created_at"]
    list_filter = ["action"]
    search_fields = ["complaint__code", "hash"]
    list_select_related = ["complaint", "complaint__reporter"]
    exclude = ["actor", "actor_label"]
    readonly_fields = ["shown_actor"]

    @admin.display(description=_("actor"))
    def shown_actor(self, obj: AuditEvent) -> str:
        return event_actor(obj)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # ``?actor_label=<username>`` or ``?actor=<id>`` would list what one account filed.
        if identity_lookup(lookup, frozenset({"actor", "actor_label"})):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).filter(complaint__in=visible_complaints(request.user).values("pk"))


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    # The library's columns, with its untranslatable "Has expired" replaced by our own.
    list_display = ("prefix", "name", "created", "expiry_date", "expired", "revoked", "user")  # type: ignore[assignment]
    search_fields = (*APIKeyModelAdmin.search_fields, "user__username")  # type: ignore[assignment]

    @admin.display(description=_("expired"), boolean=True)
    def expired(self, obj: ApiKey) -> bool:
        return bool(obj.has_expired)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ["units"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class RegistryUserAdmin(UserAdmin):
    inlines = [ProfileInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The scope is edited in the inline form; the change goes into the same ScopeChange
        # log as services.staff_set_scope writes (widening a scope is an audited act).
        before = services.scope_snapshot(form.instance)
        super().save_related(request, form, formsets, change)
        after = services.scope_snapshot(form.instance)
        if after != before:
            services.record_scope_change(user=form.instance, actor=request.user, before=before, after=after)


from complaints import (  # noqa: E402
    documents_admin,  # noqa: F401 - registers the document admin
    legal_admin,  # noqa: F401 - registers the legal case admin
)
