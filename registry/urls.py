from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from complaints import health
from complaints.web import channels, offline
from registry import metrics


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages without an icon link (the admin): the site's icon."""
    return HttpResponsePermanentRedirect(static("complaints/favicon.svg"))


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("favicon.ico", favicon, name="favicon"),
    # The filing page's service worker, at the root so that its scope covers /file/.
    path("sw.js", offline.service_worker, name="service-worker"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("complaints.api.urls")),
    path("channels/telegram/webhook/", channels.telegram_webhook, name="telegram-webhook"),
    path("channels/sms/<slug:gateway>/", channels.sms_gateway, name="sms-gateway"),
    path("admin/", admin.site.urls),
    path("", include("complaints.web.urls")),
]
