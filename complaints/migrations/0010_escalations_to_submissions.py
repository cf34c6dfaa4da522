"""Existing escalations (free-text authority and number in the audit payload) become submissions.

Also gives the admin role the permissions of the models added since 0002 (legal case,
documents, checkpoints, scope changes), as ``roles.py`` ("*") says it holds.

Before the legal case existed, ``escalate`` kept the authority and its reference number only
in the audit event's payload. Each such event becomes a ``Submission`` (state "filed",
channel "not recorded", submitted when the escalation was recorded), linked to the register
when the text names a registered body. The audit chain is not touched: the escalate event
stays the record of what was done. No deadline is computed (the rules may not exist yet,
and a clock started after the fact would only warn about the past).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# The role table, frozen as of this migration (see 0002): "admin" is every complaints and auth
# permission, spelled out so that it cannot grow; the other roles are unchanged.
ROLE_PERMISSIONS = {
    "observer": [
        "complaints.add_complaint",
        "complaints.add_evidence",
    ],
    "reviewer": [
        "complaints.view_complaint",
        "complaints.work_queue",
        "complaints.view_evidence",
        "complaints.add_note",
        "complaints.view_note",
        "complaints.view_auditevent",
    ],
    "coordinator": [
        "complaints.view_complaint",
        "complaints.work_queue",
        "complaints.coordinate",
        "complaints.view_evidence",
        "complaints.add_note",
        "complaints.view_note",
        "complaints.view_auditevent",
        "complaints.view_reporter_identity",
        "complaints.view_reporter",
    ],
    "admin": [
        "auth.add_group",
        "auth.add_permission",
        "auth.add_user",
        "auth.change_group",
        "auth.change_permission",
        "auth.change_user",
        "auth.delete_group",
        "auth.delete_permission",
        "auth.delete_user",
        "auth.view_group",
        "auth.view_permission",
        "auth.view_user",
        "complaints.add_apikey",
        "complaints.add_auditevent",
        "complaints.add_authority",
        "complaints.add_casedeadline",
        "complaints.add_category",
        "complaints.add_checkpoint",
        "complaints.add_complaint",
        "complaints.add_deadlinerule",
        "complaints.add_deadlinewarning",
        "complaints.add_decision",
        "complaints.add_documenttemplate",
        "complaints.add_election",
        "complaints.add_evidence",
        "complaints.add_generateddocument",
        "complaints.add_holiday",
        "complaints.add_idempotencyrecord",
        "complaints.add_note",
        "complaints.add_outboxmessage",
        "complaints.add_pollingstation",
        "complaints.add_profile",
        "complaints.add_reporter",
        "complaints.add_respondent",
        "complaints.add_respondentreply",
        "complaints.add_scopechange",
        "complaints.add_submission",
        "complaints.add_territorialunit",
        "complaints.add_webhookdelivery",
        "complaints.add_webhooksubscription",
        "complaints.change_apikey",
        "complaints.change_auditevent",
        "complaints.change_authority",
        "complaints.change_casedeadline",
        "complaints.change_category",
        "complaints.change_checkpoint",
        "complaints.change_complaint",
        "complaints.change_deadlinerule",
        "complaints.change_deadlinewarning",
        "complaints.change_decision",
        "complaints.change_documenttemplate",
        "complaints.change_election",
        "complaints.change_evidence",
        "complaints.change_generateddocument",
        "complaints.change_holiday",
        "complaints.change_idempotencyrecord",
        "complaints.change_note",
        "complaints.change_outboxmessage",
        "complaints.change_pollingstation",
        "complaints.change_profile",
        "complaints.change_reporter",
        "complaints.change_respondent",
        "complaints.change_respondentreply",
        "complaints.change_scopechange",
        "complaints.change_submission",
        "complaints.change_territorialunit",
        "complaints.change_webhookdelivery",
        "complaints.change_webhooksubscription",
        "complaints.coordinate",
        "complaints.delete_apikey",
        "complaints.delete_auditevent",
        "complaints.delete_authority",
        "complaints.delete_casedeadline",
        "complaints.delete_category",
        "complaints.delete_checkpoint",
        "complaints.delete_complaint",
        "complaints.delete_deadlinerule",
        "complaints.delete_deadlinewarning",
        "complaints.delete_decision",
        "complaints.delete_documenttemplate",
        "complaints.delete_election",
        "complaints.delete_evidence",
        "complaints.delete_generateddocument",
        "complaints.delete_holiday",
        "complaints.delete_idempotencyrecord",
        "complaints.delete_note",
        "complaints.delete_outboxmessage",
        "complaints.delete_pollingstation",
        "complaints.delete_profile",
        "complaints.delete_reporter",
        "complaints.delete_respondent",
        "complaints.delete_respondentreply",
        "complaints.delete_scopechange",
        "complaints.delete_submission",
        "complaints.delete_territorialunit",
        "complaints.delete_webhookdelivery",
        "complaints.delete_webhooksubscription",
        "complaints.view_apikey",
        "complaints.view_auditevent",
        "complaints.view_authority",
        "complaints.view_casedeadline",
        "complaints.view_category",
        "complaints.view_checkpoint",
        "complaints.view_complaint",
        "complaints.view_deadlinerule",
        "complaints.view_deadlinewarning",
        "complaints.view_decision",
        "complaints.view_documenttemplate",
        "complaints.view_election",
        "complaints.view_evidence",
        "complaints.view_generateddocument",
        "complaints.view_holiday",
        "complaints.view_idempotencyrecord",
        "complaints.view_note",
        "complaints.view_outboxmessage",
        "complaints.view_pollingstation",
        "complaints.view_profile",
        "complaints.view_reporter",
        "complaints.view_reporter_identity",
        "complaints.view_respondent",
        "complaints.view_respondentreply",
        "complaints.view_scopechange",
        "complaints.view_submission",
        "complaints.view_territorialunit",
        "complaints.view_webhookdelivery",
        "complaints.view_webhooksubscription",
        "complaints.work_queue",
    ],
}


def forwards(apps, schema_editor):
    AuditEvent = apps.get_model("complaints", "AuditEvent")
    Submission = apps.get_model("complaints", "Submission")
    Authority = apps.get_model("complaints", "Authority")
    done = set(Submission.objects.values_list("complaint_id", "submitted_at"))
    # Names compared case-insensitively in Python (SQLite's iexact folds ASCII only; the register is small).
    register = {}
    for authority in Authority.objects.all():
        for name in (authority.name_ru, authority.name_kk, authority.name_en):
            if name:
                register.setdefault(name.casefold(), authority)
    rows = []
    events = AuditEvent.objects.filter(action="escalate").order_by("complaint_id", "seq")
    for event in events.iterator(chunk_size=500):
        payload = event.payload or {}
        text = str(payload.get("authority") or "").strip()[:300] or "—"
        if (event.complaint_id, event.created_at) in done:
            continue
        authority = register.get(text.casefold())
        rows.append(
            Submission(
                complaint_id=event.complaint_id,
                authority=authority,
                authority_text="" if authority else text,
                channel="unknown",
                submitted_at=event.created_at,
                registration_number=str(payload.get("authority_reference") or "").strip()[:120],
                state="filed",
                created_by_id=event.actor_id,
            )
        )
    Submission.objects.bulk_create(rows, batch_size=500)


def backwards(apps, schema_editor):
    Submission = apps.get_model("complaints", "Submission")
    Submission.objects.filter(channel="unknown", appeal_of__isnull=True, decision__isnull=True).delete()


def roles_with_new_permissions(apps, schema_editor):
    """The role groups from the frozen table: the admin role gains the new models' permissions.

    Permissions are normally created by post_migrate, after all migrations; create them now.
    """
    using = schema_editor.connection.alias
    for label in ("auth", "complaints"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # historical app configs have none
        try:
            create_permissions(app_config, apps=apps, using=using, verbosity=0)
        finally:
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using)
        .filter(content_type__app_label__in=["complaints", "auth"])
        .values_list("pk", "content_type__app_label", "codename")
    }
    for name, perms in ROLE_PERMISSIONS.items():
        missing = sorted(set(perms) - set(by_name))
        if missing:
            raise RuntimeError(f"role {name!r}: permissions not found: {', '.join(missing)}")
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([by_name[perm] for perm in perms])


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0009_audit_checkpoints"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(roles_with_new_permissions, migrations.RunPython.noop),
    ]
