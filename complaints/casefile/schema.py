"""The case-file JSON schema (draft 2020-12): where it lives, loading it once, validating a case.json against it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_VERSION = 1
SCHEMA_ID = "urn:complaint-registry:schema:case-file:v1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "case-v1.json"
CASE_FORMAT = "complaint-registry-case-file"
MANIFEST_FORMAT = "complaint-registry-case-file-manifest"


@cache
def schema_text() -> bytes:
    """The schema file's bytes, served as they are (their hash is what a reader may pin)."""
    return SCHEMA_PATH.read_bytes()


@cache
def case_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


def schema_errors(document: Any, limit: int = 5) -> list[str]:
    """What in ``document`` does not follow the schema, as ``where: what`` lines (at most ``limit``)."""
    validator = jsonschema.Draft202012Validator(case_schema(), format_checker=jsonschema.FormatChecker())
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(part) for part in error.absolute_path) or "(top)"
        problems.append(f"{where}: {error.message[:300]}")
        if len(problems) >= limit:
            break
    return problems
