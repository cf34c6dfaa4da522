"""URLs of the server-rendered pages: filing, follow-up, the review queue and the dashboard."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from complaints.web import (
    audit_public,
    cases,
    complainant,
    hotline,
    open_data,
    public,
    publication_data,
    review,
    two_factor,
)
from complaints.web import documents as web_documents
from complaints.web import exports as web_exports
from complaints.web import publication as web_publication
from complaints.web.casefile import case_file_download
from complaints.web.public_map import regions_geojson

urlpatterns = [
    path("", complainant.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True,
            extra_context={
                "failure_limit": settings.AXES_FAILURE_LIMIT,
                "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            },
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Staff two-factor authentication (complaints/web/two_factor.py)
    path("accounts/two-factor/", two_factor.devices, name="web-2fa"),
    path("accounts/two-factor/enrol/", two_factor.enrol, name="web-2fa-enrol"),
    path("accounts/two-factor/verify/", two_factor.verify, name="web-2fa-verify"),
    path("accounts/two-factor/backup-codes/", two_factor.backup_codes_regenerate, name="web-2fa-backup-codes"),
    # Filing and following a complaint
    path("file/", complainant.complaint_file, name="web-file"),
    path("file/stations.json", complainant.station_search, name="web-stations"),
    path("file/receipt/", complainant.receipt, name="web-receipt"),
    path("status/", complainant.status_lookup, name="web-status"),
    # <ref> is a random handle this browser got when it unlocked the complaint (or, for a signed-in
    # filer's own complaint, from "My complaints"): the receipt code never goes into a URL.
    path("status/<str:ref>/", complainant.complaint_track, name="web-track"),
    path("status/<str:ref>/answer/", complainant.complaint_answer, name="web-track-answer"),
    path("status/<str:ref>/evidence/", complainant.complaint_add_evidence, name="web-track-evidence"),
    path("status/<str:ref>/withdraw/", complainant.complaint_withdraw, name="web-track-withdraw"),
    path("device/forget/", complainant.device_forget, name="web-device-forget"),
    path("my/", complainant.my_complaints, name="web-my"),
    # The hotline: staff file for a caller (complaints/web/hotline.py)
    path("hotline/", hotline.hotline_file, name="web-hotline"),
    path("hotline/receipt/", hotline.hotline_receipt, name="web-hotline-receipt"),
    # Review
    path("queue/", review.queue, name="web-queue"),
    path("queue/assign/", review.queue_assign, name="web-queue-assign"),
    path("queue/export.csv", web_exports.queue_export_csv, name="web-queue-export-csv"),
    path("queue/export.xlsx", web_exports.queue_export_xlsx, name="web-queue-export-xlsx"),
    path("complaints/<str:code>/", review.complaint_detail, name="web-complaint"),
    path("complaints/<str:code>/actions/<slug:action>/", review.complaint_act, name="web-complaint-act"),
    path("complaints/<str:code>/assign/", review.complaint_assign, name="web-complaint-assign"),
    path("complaints/<str:code>/notes/", review.complaint_note, name="web-complaint-note"),
    path("complaints/<str:code>/identity/", review.complaint_identity, name="web-complaint-identity"),
    path("complaints/<str:code>/evidence/<int:evidence_id>/", review.evidence_file, name="web-evidence"),
    path("complaints/<str:code>/documents/", web_documents.document_generate, name="web-document-generate"),
    path(
        "complaints/<str:code>/documents/<int:document_id>/",
        web_documents.document_download,
        name="web-document",
    ),
    # The case at the authorities (complaints/web/cases.py)
    path("complaints/<str:code>/case/submissions/", cases.submission_create, name="web-submission-create"),
    path(
        "complaints/<str:code>/case/submissions/<int:pk>/outcome/",
        cases.submission_outcome,
        name="web-submission-outcome",
    ),
    path(
        "complaints/<str:code>/case/submissions/<int:pk>/appeal/", cases.submission_appeal, name="web-submission-appeal"
    ),
    path("complaints/<str:code>/case/submissions/<int:pk>/decision/", cases.decision_file, name="web-decision-file"),
    path("complaints/<str:code>/case/respondents/", cases.respondent_create, name="web-respondent-create"),
    path("complaints/<str:code>/case/respondents/<int:pk>/replies/", cases.reply_create, name="web-reply-create"),
    path("complaints/<str:code>/case/replies/<int:pk>/", cases.reply_file, name="web-reply-file"),
    path("complaints/<str:code>/case-file.zip", case_file_download, name="web-case-file"),
    # Published cases (complaints/web/publication.py, publication_data.py)
    path("complaints/<str:code>/publish/", web_publication.case_publish, name="web-case-publish"),
    path("complaints/<str:code>/unpublish/", web_publication.case_unpublish, name="web-case-unpublish"),
    path("dashboard/", review.dashboard, name="web-dashboard"),
    # Public statistics and open data
    path("stats/", public.stats_page, name="public-stats"),
    path("stats/open-data.csv", public.open_data_csv, name="public-open-data"),
    path("open-data/regions.geojson", regions_geojson, name="public-regions-geojson"),
    # The open-data page and the aggregate counts (complaints/web/open_data.py)
    path("open-data/", open_data.open_data_page, name="open-data"),
    path("open-data/counts.csv", open_data.counts_csv, name="open-data-counts-csv"),
    path("open-data/counts.jsonl", open_data.counts_jsonl, name="open-data-counts-jsonl"),
    path("cases/", web_publication.case_list, name="public-cases"),
    path("cases/feed.atom", publication_data.cases_feed, name="public-cases-feed"),
    path("cases/feed/<slug:region>.atom", publication_data.cases_feed, name="public-cases-feed-region"),
    path("cases/<slug:slug>/", web_publication.case_detail, name="public-case"),
    path("cases/<slug:slug>/evidence/<int:number>/", web_publication.case_evidence, name="public-case-evidence"),
    path("open-data/cases.csv", publication_data.cases_csv, name="public-cases-csv"),
    path("open-data/cases.jsonl", publication_data.cases_jsonl, name="public-cases-jsonl"),
    path("open-data/cases.geojson", publication_data.cases_geojson, name="public-cases-geojson"),
    # Signed audit checkpoints, the key to check them and the standalone verifier: public, archivable
    path("audit/checkpoints/", audit_public.checkpoint_list, name="audit-checkpoints"),
    path("audit/checkpoints/<int:serial>.json", audit_public.checkpoint_file, name="audit-checkpoint"),
    path("audit/public-key", audit_public.public_key, name="audit-public-key"),
    path("audit/verify_case.py", audit_public.verifier, name="audit-verifier"),
]
