"""The case file: one complaint's whole case as a ZIP archive, its versioned JSON schema, export and import.

- ``schema``: ``schema/case-v1.json`` (JSON Schema draft 2020-12, ``$id``
  ``urn:complaint-registry:schema:case-file:v1``), loading and validating it;
- ``layout``: the names inside the archive and its limits;
- ``export``: build and write a case file (a read; the identity, when asked for, through the
  audited ``services.reporter_reveal``);
- ``importer``: verify every hash, then recreate the case in this instance.

See docs/case_file.md. Entry points: ``manage.py export_case`` / ``import_case``,
``web/casefile.py``, ``api/casefile.py``.
"""

from complaints.casefile.export import CaseFile, StoredFileChanged, case_file_build, case_file_write
from complaints.casefile.importer import (
    IMPORTED_ACTION,
    CaseFileRefused,
    ImportNotAllowed,
    ImportResult,
    case_file_import,
    case_file_verify,
)
from complaints.casefile.schema import SCHEMA_ID, SCHEMA_PATH, case_schema, schema_errors, schema_text

__all__ = [
    "IMPORTED_ACTION",
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "CaseFile",
    "CaseFileRefused",
    "ImportNotAllowed",
    "ImportResult",
    "StoredFileChanged",
    "case_file_build",
    "case_file_import",
    "case_file_verify",
    "case_file_write",
    "case_schema",
    "schema_errors",
    "schema_text",
]
