"""The public audit checkpoints: their list, each one's archivable file, the public key and the verifier."""

from __future__ import annotations

import json
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from complaints import integrity
from complaints.models import Checkpoint
from complaints.selectors.audit_export import published_checkpoints
from complaints.services.checkpoints import checkpoint_document, checkpoint_file_name, public_key_pem

VERIFIER_SOURCE = Path(integrity.__file__)


@require_GET
def checkpoint_list(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "public_key": request.build_absolute_uri(reverse("audit-public-key")),
            "verifier": request.build_absolute_uri(reverse("audit-verifier")),
            "checkpoints": [
                {
                    "serial": c.serial,
                    "created_at": c.created_at.isoformat(),
                    "label": c.label,
                    "chains": c.chains,
                    "events": c.events,
                    "merkle_root": c.merkle_root,
                    "key_id": c.key_id,
                    "statement": c.statement,
                    "signature": c.signature,
                    "file": request.build_absolute_uri(reverse("audit-checkpoint", args=[c.serial])),
                }
                for c in published_checkpoints()
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def checkpoint_file(request: HttpRequest, serial: int) -> HttpResponse:
    try:
        checkpoint = Checkpoint.objects.get(serial=serial)
    except Checkpoint.DoesNotExist:
        raise Http404("No such checkpoint.") from None
    response = HttpResponse(
        json.dumps(checkpoint_document(checkpoint), ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{checkpoint_file_name(serial)}"'
    return response


@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="audit-public-key.pem"'
    return response


@require_GET
def verifier(request: HttpRequest) -> HttpResponse:
    """The standalone verifier's source (standard library + cryptography), to run on an exported case."""
    response = HttpResponse(VERIFIER_SOURCE.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify_case.py"'
    return response
