"""The interactive API docs (Swagger UI), served so that the site's CSP allows them.

drf-spectacular's ``SpectacularSwaggerView`` puts its start-up script and a few styles
inline, which ``script-src 'self'`` and ``style-src 'self'`` block: the page stays blank.
Here every script and style is a file from this origin: Swagger UI from
drf-spectacular-sidecar, the start-up script from this same URL with ``?script`` (the split
view renders it as JavaScript), the styles from ``complaints/api-docs.css``.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "complaints/api/swagger_ui.html"
