"""URLs of the server-rendered pages: filing, follow-up, the review queue and the dashboard."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from complaints.web import review, views

urlpatterns = [
    path("", views.home, name="home"),
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
    # Filing and following a complaint
    path("file/", views.complaint_file, name="web-file"),
    path("file/stations.json", views.station_search, name="web-stations"),
    path("file/receipt/", views.receipt, name="web-receipt"),
    path("status/", views.status_lookup, name="web-status"),
    path("status/<str:code>/", views.complaint_track, name="web-track"),
    path("status/<str:code>/answer/", views.complaint_answer, name="web-track-answer"),
    path("status/<str:code>/evidence/", views.complaint_add_evidence, name="web-track-evidence"),
    path("status/<str:code>/withdraw/", views.complaint_withdraw, name="web-track-withdraw"),
    path("my/", views.my_complaints, name="web-my"),
    # Review
    path("queue/", review.queue, name="web-queue"),
    path("queue/assign/", review.queue_assign, name="web-queue-assign"),
    path("complaints/<str:code>/", review.complaint_detail, name="web-complaint"),
    path("complaints/<str:code>/actions/<slug:action>/", review.complaint_act, name="web-complaint-act"),
    path("complaints/<str:code>/assign/", review.complaint_assign, name="web-complaint-assign"),
    path("complaints/<str:code>/notes/", review.complaint_note, name="web-complaint-note"),
    path("complaints/<str:code>/identity/", review.complaint_identity, name="web-complaint-identity"),
    path("complaints/<str:code>/evidence/<int:evidence_id>/", review.evidence_file, name="web-evidence"),
    path("dashboard/", review.dashboard, name="web-dashboard"),
]
