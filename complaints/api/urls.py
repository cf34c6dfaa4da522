"""URLs of the REST API v1."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from complaints import workflow
from complaints.api import cases, complainant, public_stats, reference, views, webhooks
from complaints.api import documents as api_documents
from complaints.api.casefile import CaseFileDownloadView, CaseFileImportView, case_file_schema
from complaints.api.docs import ApiDocsView
from complaints.api.errors import api_not_found

C = "complaints/<str:code>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("schema/case-file/v1.json", case_file_schema, name="api-case-file-schema"),
    path("case-files/", CaseFileImportView.as_view(), name="api-case-file-import"),
    # Complaints
    path("complaints/", views.ComplaintListView.as_view(), name="api-complaints"),
    path(C, views.ComplaintDetailView.as_view(), name="api-complaint-detail"),
    path(C + "timeline/", views.ComplaintTimelineView.as_view(), name="api-complaint-timeline"),
    path(C + "notes/", views.ComplaintNotesView.as_view(), name="api-complaint-notes"),
    path(C + "transitions/", views.ComplaintTransitionsView.as_view(), name="api-complaint-transitions"),
    path(C + "assign/", views.ComplaintAssignView.as_view(), name="api-complaint-assign"),
    path(C + "take/", views.ComplaintTakeView.as_view(), name="api-complaint-take"),
    path(C + "evidence/", views.ComplaintEvidenceView.as_view(), name="api-complaint-evidence"),
    path(C + "reporter/", views.ComplaintReporterView.as_view(), name="api-complaint-reporter"),
    path(C + "documents/", api_documents.ComplaintDocumentsView.as_view(), name="api-complaint-documents"),
    path(
        C + "documents/<int:pk>/download/",
        api_documents.ComplaintDocumentDownloadView.as_view(),
        name="api-complaint-document-download",
    ),
    path(C + "case-file/", CaseFileDownloadView.as_view(), name="api-complaint-case-file"),
    # One endpoint per action of the transitions table: triage/, start_review/, request_info/, ...
    *[
        path(
            C + f"{t.action}/",
            views.ComplaintActionView.as_view(action_name=t.action),
            name=f"api-complaint-{t.action}",
        )
        for t in workflow.TRANSITIONS
    ],
    # The case at the authorities (complaints/api/cases.py)
    path(C + "case/", cases.CaseView.as_view(), name="api-complaint-case"),
    path(C + "submissions/", cases.SubmissionListView.as_view(), name="api-complaint-submissions"),
    path(C + "submissions/<str:pk>/", cases.SubmissionDetailView.as_view(), name="api-complaint-submission"),
    path(C + "submissions/<str:pk>/outcome/", cases.SubmissionOutcomeView.as_view(), name="api-submission-outcome"),
    path(C + "submissions/<str:pk>/appeal/", cases.SubmissionAppealView.as_view(), name="api-submission-appeal"),
    path(C + "respondents/", cases.RespondentListView.as_view(), name="api-complaint-respondents"),
    path(C + "respondents/<str:pk>/replies/", cases.RespondentReplyView.as_view(), name="api-respondent-replies"),
    path("authorities/", cases.AuthorityListView.as_view(), name="api-authorities"),
    path("evidence/<int:pk>/download/", views.EvidenceDownloadView.as_view(), name="api-evidence-download"),
    # The anonymous complainant
    path("status/", complainant.StatusView.as_view(), name="api-status"),
    path("status/transitions/", complainant.StatusTransitionView.as_view(), name="api-status-transitions"),
    path("status/evidence/", complainant.StatusEvidenceView.as_view(), name="api-status-evidence"),
    # Public statistics (anonymised)
    path("public/stats/", public_stats.stats_api, name="public-stats-api"),
    # Reference data
    path("elections/", reference.ElectionListView.as_view(), name="api-elections"),
    path("elections/<int:pk>/", reference.ElectionDetailView.as_view(), name="api-election-detail"),
    path("units/", reference.UnitListView.as_view(), name="api-units"),
    path("polling-stations/", reference.PollingStationListView.as_view(), name="api-polling-stations"),
    path("categories/", reference.CategoryListView.as_view(), name="api-categories"),
    # Webhooks
    path("webhooks/", webhooks.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/dead-letters/", webhooks.DeadLetterListView.as_view(), name="api-dead-letters"),
    path(
        "webhooks/dead-letters/<int:pk>/replay/",
        webhooks.DeadLetterReplayView.as_view(),
        name="api-dead-letter-replay",
    ),
    path("webhooks/<int:pk>/", webhooks.WebhookDetailView.as_view(), name="api-webhook-detail"),
    path("webhooks/<int:pk>/rotate/", webhooks.WebhookRotateView.as_view(), name="api-webhook-rotate"),
    path("webhooks/<int:pk>/deliveries/", webhooks.WebhookDeliveriesView.as_view(), name="api-webhook-deliveries"),
    # Anything else under /api/v1/: the JSON error format, not an HTML page.
    re_path(r"^[\s\S]*$", api_not_found),
]
