import pytest

from complaints import audit
from complaints.models import AuditEvent, Status

pytestmark = pytest.mark.django_db


def test_filing_records_complaint_reporter_and_audit(file_complaint):
    complaint = file_complaint()
    assert complaint.status == Status.SUBMITTED
    assert complaint.unit_path == "kz/pav/pav-ekibastuz/"
    assert complaint.due_at is not None
    assert AuditEvent.objects.filter(complaint=complaint).count() == 1
    assert list(audit.verify_chains()) == []


def test_healthz_and_readyz(client):
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
