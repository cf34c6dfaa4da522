"""The API docs page renders its operations in Chromium under the site's CSP, with no console error."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e]


def test_swagger_ui_renders_the_operations_under_the_csp(browse: Any, db: Any) -> None:
    page = browse.new_page(phone=False)
    response = page.goto(browse.url("/api/v1/docs/"))
    assert response is not None
    assert response.status == 200
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp  # the site's policy, not loosened for this page
    assert "unsafe-inline" not in csp
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("complaint registry API")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 20
    # An operation opens and shows its parameters: the UI is working, not just painted.
    page.locator(".opblock-summary", has_text="/api/v1/complaints/").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    browse.shot(page, "api-docs")
