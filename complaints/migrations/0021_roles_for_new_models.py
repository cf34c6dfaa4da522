from django.contrib.auth.management import create_permissions
from django.db import migrations

# The role table frozen at this migration (complaints/roles.py, '*' resolved): the admin role
# gains the permissions of the models added in 0016-0020.
ROLE_PERMISSIONS = {
    "observer": [
        "complaints.add_complaint",
        "complaints.add_evidence"
    ],
    "reviewer": [
        "complaints.add_note",
        "complaints.view_auditevent",
        "complaints.view_complaint",
        "complaints.view_evidence",
        "complaints.view_note",
        "complaints.work_queue"
    ],
    "coordinator": [
        "complaints.add_note",
        "complaints.coordinate",
        "complaints.view_auditevent",
        "complaints.view_complaint",
        "complaints.view_evidence",
        "complaints.view_note",
        "complaints.view_reporter",
        "complaints.view_reporter_identity",
        "complaints.work_queue"
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
        "complaints.add_complaintcontact",
        "complaints.add_contactaddress",
        "complaints.add_deadlinerule",
        "complaints.add_deadlinewarning",
        "complaints.add_decision",
        "complaints.add_documenttemplate",
        "complaints.add_election",
        "complaints.add_evidence",
        "complaints.add_generateddocument",
        "complaints.add_heldupload",
        "complaints.add_holiday",
        "complaints.add_idempotencyrecord",
        "complaints.add_note",
        "complaints.add_outboxmessage",
        "complaints.add_pollingstation",
        "complaints.add_profile",
        "complaints.add_publishedcase",
        "complaints.add_reporter",
        "complaints.add_respondent",
        "complaints.add_respondentreply",
        "complaints.add_scopechange",
        "complaints.add_submission",
        "complaints.add_telegramconversation",
        "complaints.add_telegramupdate",
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
        "complaints.change_complaintcontact",
        "complaints.change_contactaddress",
        "complaints.change_deadlinerule",
        "complaints.change_deadlinewarning",
        "complaints.change_decision",
        "complaints.change_documenttemplate",
        "complaints.change_election",
        "complaints.change_evidence",
        "complaints.change_generateddocument",
        "complaints.change_heldupload",
        "complaints.change_holiday",
        "complaints.change_idempotencyrecord",
        "complaints.change_note",
        "complaints.change_outboxmessage",
        "complaints.change_pollingstation",
        "complaints.change_profile",
        "complaints.change_publishedcase",
        "complaints.change_reporter",
        "complaints.change_respondent",
        "complaints.change_respondentreply",
        "complaints.change_scopechange",
        "complaints.change_submission",
        "complaints.change_telegramconversation",
        "complaints.change_telegramupdate",
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
        "complaints.delete_complaintcontact",
        "complaints.delete_contactaddress",
        "complaints.delete_deadlinerule",
        "complaints.delete_deadlinewarning",
        "complaints.delete_decision",
        "complaints.delete_documenttemplate",
        "complaints.delete_election",
        "complaints.delete_evidence",
        "complaints.delete_generateddocument",
        "complaints.delete_heldupload",
        "complaints.delete_holiday",
        "complaints.delete_idempotencyrecord",
        "complaints.delete_note",
        "complaints.delete_outboxmessage",
        "complaints.delete_pollingstation",
        "complaints.delete_profile",
        "complaints.delete_publishedcase",
        "complaints.delete_reporter",
        "complaints.delete_respondent",
        "complaints.delete_respondentreply",
        "complaints.delete_scopechange",
        "complaints.delete_submission",
        "complaints.delete_telegramconversation",
        "complaints.delete_telegramupdate",
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
        "complaints.view_complaintcontact",
        "complaints.view_contactaddress",
        "complaints.view_deadlinerule",
        "complaints.view_deadlinewarning",
        "complaints.view_decision",
        "complaints.view_documenttemplate",
        "complaints.view_election",
        "complaints.view_evidence",
        "complaints.view_generateddocument",
        "complaints.view_heldupload",
        "complaints.view_holiday",
        "complaints.view_idempotencyrecord",
        "complaints.view_note",
        "complaints.view_outboxmessage",
        "complaints.view_pollingstation",
        "complaints.view_profile",
        "complaints.view_publishedcase",
        "complaints.view_reporter",
        "complaints.view_reporter_identity",
        "complaints.view_respondent",
        "complaints.view_respondentreply",
        "complaints.view_scopechange",
        "complaints.view_submission",
        "complaints.view_telegramconversation",
        "complaints.view_telegramupdate",
        "complaints.view_territorialunit",
        "complaints.view_webhookdelivery",
        "complaints.view_webhooksubscription",
        "complaints.work_queue"
    ]
}


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
    dependencies = [("complaints", "0020_held_uploads")]

    operations = [migrations.RunPython(roles_with_new_permissions, migrations.RunPython.noop)]
