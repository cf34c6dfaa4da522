"""URLs of the server-rendered pages: filing, follow-up, the review queue and the dashboard."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from complaints.web import complainant, public, review

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
    # Filing and following a complaint
    path("file/", complainant.complaint_file, name="web-file"),
    path("file/stations.json", complainant.station_search, name="web-stations"),
    path("file/receipt/", complainant.receipt, name="web-receipt"),
    path("status/", complainant.status_lookup, name="web-status"),
    path("status/<str:code>/", complainant.complaint_track, name="web-track"),
    path("status/<str:code>/answer/", complainant.complaint_answer, name="web-track-answer"),
    path("status/<str:code>/evidence/", complainant.complaint_add_evidence, name="web-track-evidence"),
    path("status/<str:code>/withdraw/", complainant.complaint_withdraw, name="web-track-withdraw"),
    path("my/", complainant.my_complaints, name="web-my"),
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
    # Public statistics and open data
    path("stats/", public.stats_page, name="public-stats"),
    path("stats/open-data.csv", public.open_data_csv, name="public-open-data"),
]
