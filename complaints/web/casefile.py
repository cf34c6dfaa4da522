"""The case file download on the staff complaint page: one ZIP with the whole case, for coordinators in scope.

Outside the scope the complaint does not exist (404); a reviewer in scope is refused (403),
as for the formal complaint documents the file contains. Never the reporter's identity:
an export with identity is the management command's, with a user, a purpose and the
audited reveal.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from complaints import casefile, selectors
from complaints.casefile.response import case_file_response
from complaints.web.review import _get_complaint, staff_required


@staff_required
@never_cache
@require_GET
def case_file_download(request: HttpRequest, code: str) -> FileResponse:
    complaint = _get_complaint(request, code)  # 404 outside the scope
    if not selectors.documents_allowed(user=request.user, complaint=complaint):
        raise PermissionDenied(_("Only coordinators download the case file."))
    return case_file_response(casefile.case_file_build(complaint=complaint, actor=request.user))
