"""Fixtures for the logs and metrics tests: the API suite's clients and filing payload."""

from tests.api.conftest import _clean_cache, anon, client_for, filing_payload  # noqa: F401 - fixtures
