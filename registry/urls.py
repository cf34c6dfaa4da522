from django.contrib import admin
from django.urls import include, path

from complaints import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("complaints.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("complaints.web.urls")),
]
