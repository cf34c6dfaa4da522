"""The property layer: arbitrary JSON and form values against every endpoint, as every role.

The endpoints are read from the URL resolver (``complaints/api/urls.py`` and
``complaints/web/urls.py``), so a new endpoint is covered without editing this module; a path
parameter is filled by its name (a real complaint code, a real id ...) or, for a name this
module does not know, by its converter. ``test_every_endpoint_is_covered`` fails, listing it,
for an endpoint this layer cannot build a request for.

For each endpoint, Hypothesis draws a role (anonymous, observer, reviewer, coordinator,
admin), a method, path parameters, a query string and a body: arbitrary JSON (nested dicts
and lists, huge integers, NaN and infinities as tokens and as strings, NUL, right-to-left
overrides, lone surrogates, very long strings, raw bytes that are not JSON or not UTF-8), or
the endpoint's own fields (from the OpenAPI schema for the API, from the forms of its pages
for the web) with values of the wrong type, or a body that passes the schema's types (built
from it) with one field replaced by any value; with odd ``Content-Type`` and ``Accept``
headers now and then, and now and then a method the endpoint does not accept. Rates are
switched off (tests/robustness/test_web_throttle.py covers them). Every answer must be:

- never a 5xx;
- a 4xx in the documented format: on the API ``{"error": {"code", "message", "fields"}}``,
  a sentence (no Python repr), ``fields`` naming fields that were sent or that the endpoint
  has; on the web a page in the site's language, or app.js's ``{"ok": false, "errors"}``;
- with nothing stored on a refusal: no new Complaint, Evidence, Note, Submission or
  AuditEvent row, no new file in the test's own MEDIA_ROOT.

Hypothesis and pytest-django: each test takes its fixtures once (one ``db`` transaction) and
runs an inner ``@given`` function per endpoint; every example runs inside a savepoint that is
rolled back (``transaction.atomic`` + ``set_rollback``), so examples start from the same
database on SQLite and PostgreSQL alike, and the cache (throttle counters) is cleared. The
runs are derandomized (the same examples every run, no example database), and problems are
collected rather than raised at the first one, so a failure lists every endpoint at fault.
``PROPERTY_EXAMPLES`` (environment) scales the number of examples per endpoint.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, resolve
from django.urls.converters import IntConverter, SlugConverter, StringConverter
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from complaints import services, workflow
from complaints.api import fastlist
from complaints.api import urls as api_urls
from complaints.models import AuditEvent, Complaint, Evidence, Note, Submission
from complaints.web import urls as web_urls
from tests.images import png_bytes

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "20"))
ROLES = ["anonymous", "observer", "reviewer", "coordinator", "admin"]
STORED = [Complaint, Evidence, Note, Submission, AuditEvent]
REPR = re.compile(r"ErrorDetail\(|\{\d+: \[|<class '|Traceback \(")  # a Python repr in a message


# --- the endpoints, from the resolver ----------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    kind: str  # "api" or "web"
    name: str
    route: str  # the full route, "/api/v1/complaints/<str:code>/notes/"
    converters: tuple[tuple[str, str], ...]  # (parameter, converter class name)
    regex: bool = False  # a regex pattern (the API's catch-all): any path under its prefix

    @property
    def schema_path(self) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.route)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name or self.route}"


def _walk(patterns: list[Any], prefix: str, kind: str) -> Iterator[Endpoint]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), kind)
            continue
        assert isinstance(pattern, URLPattern)
        converters = getattr(pattern.pattern, "converters", {})
        is_regex = pattern.pattern.__class__.__name__ == "RegexPattern"
        yield Endpoint(
            kind=kind,
            name=pattern.name or "",
            route=prefix + ("" if is_regex else str(pattern.pattern)),
            converters=tuple((name, type(conv).__name__) for name, conv in converters.items()),
            regex=is_regex,
        )


API_ENDPOINTS = list(_walk(api_urls.urlpatterns, "/api/v1/", "api"))
WEB_ENDPOINTS = list(_walk(web_urls.urlpatterns, "/", "web"))
KNOWN_CONVERTERS = {IntConverter.__name__, StringConverter.__name__, SlugConverter.__name__}


def test_every_endpoint_is_covered() -> None:
    """Every endpoint of both URL confs gets requests: its parameters can all be filled."""
    assert len(API_ENDPOINTS) > 40
    assert len(WEB_ENDPOINTS) > 30
    uncovered = [
        f"{e} ({e.route}: {name} is a {conv})"
        for e in API_ENDPOINTS + WEB_ENDPOINTS
        for name, conv in e.converters
        if conv not in KNOWN_CONVERTERS
    ]
    assert not uncovered, "endpoints this layer cannot build requests for: " + ", ".join(uncovered)


# --- values -------------------------------------------------------------------------

LONG = ["x" * 10_000, "я" * 100_001, "\u202e" * 5000, "1" * 5000, "{" * 20_000]
SPECIAL_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202egpj.exe",
    "\u2066\u2067\u2069",
    "\x0b\x85\u2029",
    "line\r\nbreak",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "1e309",
    "-0",
    "9" * 40,
    "0001-01-01",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "2011-02-30",
    "true",
    "null",
    "[]",
    "{}",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "\ufeff",
    "\U0001f5f3\ufe0f",
    # redirect targets (``next``): a bare number or name, another site, a script
    "537",
    "web-queue",
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
]
SPECIAL_INTS = [0, -1, 2**31, 2**31 - 1, -(2**31) - 1, 2**53 + 1, 2**63, 2**63 - 1, -(2**63) - 1, 2**64, 10**100]

# Text for JSON: anything, lone surrogates included (sent as \ud800 escapes or as invalid UTF-8).
json_text = st.one_of(st.text(max_size=40), st.sampled_from(SPECIAL_STRINGS), st.sampled_from(LONG))
# Text for forms and query strings: the test client encodes UTF-8, which has no lone surrogates.
form_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.sampled_from(SPECIAL_STRINGS),
    st.sampled_from(LONG),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(SPECIAL_INTS).map(str),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from(SPECIAL_INTS),
    st.floats(allow_nan=True, allow_infinity=True),
    json_text,
)


def json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    key = (
        st.one_of(st.sampled_from(keys), st.text(max_size=10), st.sampled_from(SPECIAL_STRINGS[:8]))
        if keys
        else (st.text(max_size=10))
    )
    return st.recursive(
        json_scalars,
        lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(key, children, max_size=4)),
        max_leaves=12,
    )


RAW_BODIES = [
    b"",
    b" ",
    b"[" * 10_000,
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    b"{",
    b"}{",
    b"\xff\xfe\x00{",
    b'{"a": NaN, "b": Infinity}',
    b"1e999999",
    b"-" + b"9" * 5000,
    b'"\\ud800"',
    b'{"\\u0000": 1}',
    b'{"a": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8: not UTF-8
    b"\xef\xbb\xbf{}",
    b'{"a": 1, "a": 2}',
]


def _encode_json(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


def json_bodies(keys: list[str], base: dict[str, Any] | None) -> st.SearchStrategy[bytes]:
    """A JSON body: anything at all; the endpoint's fields with any values; a valid body with one
    field of the wrong type; or bytes that are not JSON."""
    values = json_values(keys)
    strategies = [
        st.tuples(values, st.booleans()).map(lambda t: _encode_json(*t)),
        st.sampled_from(RAW_BODIES),
    ]
    if keys:
        strategies.append(
            st.tuples(st.dictionaries(st.sampled_from(keys), values, max_size=len(keys)), st.booleans()).map(
                lambda t: _encode_json(*t)
            )
        )
    if base:
        strategies.append(
            st.tuples(st.sampled_from(sorted(base)), values, st.booleans()).map(
                lambda t: _encode_json({**base, t[0]: t[1]}, t[2])
            )
        )
    return st.one_of(*strategies)


def uploads() -> st.SearchStrategy[SimpleUploadedFile]:
    names = st.one_of(
        st.sampled_from(["p.png", "photo\u202egpj.exe", "..x", "a" * 300, "x.pdf", "..\\..\\x.jpg"]),
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20),
    )
    contents = st.one_of(
        st.binary(max_size=200),
        st.sampled_from([b"", png_bytes(), png_bytes()[:40], b"\xff\xd8\xff<html>", b"PK\x03\x04"]),
    )
    return st.builds(lambda n, c: SimpleUploadedFile(n.replace("\x00", ""), c), names, contents)


def form_data(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    key = (
        st.one_of(st.sampled_from(keys), st.text(st.characters(exclude_categories=["Cs"]), max_size=10))
        if keys
        else (st.text(st.characters(exclude_categories=["Cs"]), max_size=10))
    )
    value = st.one_of(form_text, st.lists(form_text, min_size=2, max_size=3), uploads())
    return st.dictionaries(key, value, max_size=max(3, len(keys)))


def _text_path_value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=20),
        st.sampled_from(["0", "-1", "9" * 30, "\x00", "\u202e", "x" * 3000]),
    )


# --- the world the requests run in -----------------------------------------------------


@dataclass
class World:
    clients: dict[str, Client]
    path_values: dict[str, list[Any]]
    schema: dict[str, Any]
    media: Path
    forms: dict[str, set[str]] = field(default_factory=dict)  # URL name -> field names of its forms
    filing_base: dict[str, Any] = field(default_factory=dict)


def _schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve_ref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def api_operation(world: World, endpoint: Endpoint) -> dict[str, dict[str, Any]]:
    """method -> {"body": field names, "query": parameter names} from the OpenAPI schema."""
    ops = world.schema["paths"].get(endpoint.schema_path, {})
    out: dict[str, dict[str, Any]] = {}
    for method, op in ops.items():
        if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
            continue
        body: set[str] = set()
        valid: dict[str, Any] = {}
        for content_type, content in op.get("requestBody", {}).get("content", {}).items():
            node = _resolve_ref(world.schema, content.get("schema", {}))
            body |= set(node.get("properties", {}))
            for alt in node.get("oneOf", []) + node.get("allOf", []):
                body |= set(_resolve_ref(world.schema, alt).get("properties", {}))
            if content_type == "application/json":
                valid = _plausible(world, node)
        query = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
        headers = {p["name"] for p in op.get("parameters", []) if p.get("in") == "header"}
        out[method.upper()] = {
            "body": sorted(body),
            "query": sorted(query),
            "headers": sorted(headers),
            "base": valid if isinstance(valid, dict) else {},
        }
    return out


def _plausible(world: World, node: dict[str, Any], depth: int = 0) -> Any:
    """A value of the schema's type (the first enum value, a date for a date...): a body that
    passes the type checks, so one field of the wrong type reaches the endpoint's own validation."""
    node = _resolve_ref(world.schema, node)
    for combined in ("oneOf", "anyOf", "allOf"):
        if node.get(combined):
            return _plausible(world, node[combined][0], depth + 1)
    if "enum" in node:
        return next((v for v in node["enum"] if v is not None), None)
    kind, fmt = node.get("type"), node.get("format")
    if kind == "object" or "properties" in node:
        if depth > 3:
            return {}
        return {
            name: _plausible(world, prop, depth + 1)
            for name, prop in node.get("properties", {}).items()
            if not prop.get("readOnly")
        }
    if kind == "array":
        return [_plausible(world, node.get("items", {}), depth + 1)] if depth < 3 else []
    scalars = {"integer": 1, "number": 1.5, "boolean": True}
    if kind in scalars:
        return scalars[kind]
    formats = {
        "date-time": (timezone.now() - timedelta(minutes=30)).isoformat(),
        "date": timezone.localdate().isoformat(),
        "uri": "https://example.org/hook",
        "email": "someone@example.org",
    }
    return formats.get(fmt, "Проверка 512")


FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION_RE = re.compile(r'action="([^"]*)"')
NAME_RE = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', re.I)


def _collect_forms(world: World, pages: list[tuple[str, str]]) -> None:
    """The field names of every form on the pages each role sees, by the URL name they post to."""
    for role, path in pages:
        response = world.clients[role].get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        for attrs, inner in FORM_RE.findall(response.content.decode()):
            action = ACTION_RE.search(attrs)
            target = (action.group(1) if action and action.group(1) else path).split("?")[0]
            try:
                name = resolve(target).url_name or target
            except Resolver404:  # a form posting off the site
                continue
            world.forms.setdefault(name, set()).update(n for n in NAME_RE.findall(inner) if n != "csrfmiddlewaretoken")


@pytest.fixture
def world(
    settings: Any,
    tmp_path: Path,
    make_user: Callable[..., Any],
    file_complaint: Callable[..., Complaint],
    territory: dict[str, Any],
    filing_payload: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    from rest_framework.throttling import SimpleRateThrottle

    from complaints.models import ApiKey

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    # Delivery is not under test: fuzzed webhook URLs are never called.
    monkeypatch.setattr("complaints.notifications.outbox.dispatch", lambda ids: None)
    # Rates are tested elsewhere (tests/robustness/test_web_throttle.py); here they would only turn
    # examples into 429s. The cache is cleared per example too.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", dict.fromkeys(SimpleRateThrottle.THROTTLE_RATES))
    users = {
        "observer": make_user("observer", username="prop-observer"),
        "reviewer": make_user("reviewer", [territory["pav"]], username="prop-reviewer"),
        "coordinator": make_user("coordinator", [territory["pav"]], username="prop-coordinator"),
        "admin": make_user("admin", username="prop-admin", is_staff=True, is_superuser=True),
    }
    complaint = file_complaint(reporter_user=users["observer"], full_name="Айгуль", email="a@example.org")
    evidence = services.evidence_attach(
        complaint=complaint, upload=SimpleUploadedFile("p.png", png_bytes()), actor=users["observer"]
    )
    anonymous = services.complaint_file(
        election=complaint.election,
        category=complaint.category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now() - timedelta(hours=2),
        description="Anonymous witness: carousel voting at the school.",
    )
    clients: dict[str, Client] = {}
    for role in ROLES:
        api = APIClient(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
        web = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
        if role != "anonymous":
            _, key = ApiKey.objects.create_key(name=f"props {role}", user=users[role])
            api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
            web.force_login(users[role])
        clients[f"api-{role}"] = api
        clients[role] = web
    # The anonymous browser unlocks the anonymous complaint: its page handle is a real ``ref``.
    unlocked = clients["anonymous"].post("/status/", {"code": anonymous.complaint.code, "secret": anonymous.secret})
    assert unlocked.status_code == 302, unlocked.content[:300]
    ref = unlocked["Location"].rstrip("/").rsplit("/", 1)[1]
    world = World(
        clients=clients,
        path_values={
            "code": [complaint.code, anonymous.complaint.code],
            "ref": [ref],
            "action": [t.action for t in workflow.TRANSITIONS],
            "pk": [evidence.pk, 1],
            "evidence_id": [evidence.pk],
        },
        schema=_schema(),
        media=settings.MEDIA_ROOT,
        filing_base=filing_payload(),
    )
    pages = [("anonymous", "/file/"), ("anonymous", "/status/"), ("anonymous", f"/status/{ref}/")]
    pages += [(role, f"/complaints/{complaint.code}/") for role in ["reviewer", "coordinator", "admin"]]
    pages += [(role, p) for role in ROLES[1:] for p in ["/queue/", "/dashboard/", "/my/", "/accounts/two-factor/"]]
    pages += [("anonymous", "/accounts/login/"), ("anonymous", "/stats/")]
    _collect_forms(world, pages)
    return world


# --- running one request ---------------------------------------------------------------


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in STORED)


def _files(media: Path) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()} if media.exists() else set()


@contextmanager
def _isolated(client: Client) -> Iterator[None]:
    """One example: in a savepoint that is rolled back, with a clean cache and the client's cookies kept."""
    cookies = copy.deepcopy(client.cookies)
    cache.clear()
    fastlist.clear_caches()
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies


def _describe(method: str, path: str, body: Any) -> str:
    shown = body if isinstance(body, bytes | str) else repr(body)
    return f"{method} {path[:120]} body={shown[:80]!r}"


def check_api_error(response: Any, allowed_fields: set[str]) -> str | None:
    """None when the 4xx is in the API's error format, else what is wrong with it."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return f"not JSON ({response['Content-Type']}): {response.content[:120]!r}"
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return f"not the error format: {str(body)[:200]}"
    error = body["error"]
    if not {"code", "message", "fields"} <= set(error):
        return f"error without code/message/fields: {error}"
    if not isinstance(error["code"], str) or not isinstance(error["message"], str) or not error["message"].strip():
        return f"code or message not a string: {error}"
    if REPR.search(error["message"]):
        return f"a Python repr in the message: {error['message'][:200]}"
    if not isinstance(error["fields"], dict):
        return f"fields not an object: {error}"
    for name, items in error["fields"].items():
        if (wrong := _check_field_errors(error["code"], name, items, allowed_fields)) is not None:
            return wrong
    if error["code"] == "invalid" and not error["fields"]:
        return f"a validation error that names no field: {error}"
    return None


def _check_field_errors(code: str, name: str, items: Any, allowed_fields: set[str]) -> str | None:
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("code"), str) and isinstance(i.get("message"), str) for i in items
    ):
        return f"fields.{name} not a list of {{code, message}}: {items!r:.200}"
    if any(REPR.search(i["message"]) for i in items):
        return f"a Python repr in fields.{name}: {items!r:.200}"
    # The NUL check names where the NUL is (a key holding one is named escaped); else a field sent or of the endpoint.
    if code != "null_character" and name.split(".")[0] not in allowed_fields:
        return f"fields names {name!r}, which was neither sent nor is a field of the endpoint"
    return None


def check_web_error(response: Any) -> str | None:
    """None when the 4xx is a page in the request's language (English here) or app.js's JSON, else what is wrong."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/json"):
        body = json.loads(response.content)
        if not isinstance(body, dict) or body.get("ok") is not False or not isinstance(body.get("errors"), dict):
            return f"JSON that is not app.js's error shape: {str(body)[:200]}"
        for name, items in body["errors"].items():
            if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("message") for i in items):
                return f"errors.{name} not a list of {{code, message}}: {items!r:.200}"
        return None
    if not content_type.startswith("text/html"):
        return f"a {response.status_code} of type {content_type!r}: {response.content[:120]!r}"
    html = response.content.decode(errors="replace")
    if "<html" not in html or 'lang="en"' not in html:
        return f"a bare {response.status_code}, not a page in the request's language: {html[:120]!r}"
    return None


REQUESTS: Counter[str] = Counter()


def run_one(world: World, role: str, client: Client, method: str, path: str, problems: list[str], **kwargs: Any) -> Any:
    """Send one request in its own rolled-back savepoint; record what is wrong with the answer."""
    api = path.startswith("/api/")
    REQUESTS["requests"] += 1
    with _isolated(client):
        before, files_before = _counts(), _files(world.media)
        response = client.generic(method, path, **kwargs)
        REQUESTS[f"{path.split('?')[0].split('/')[1]} {response.status_code}"] += 1
        where = f"[{role}] {_describe(method, path, kwargs.get('data'))}"
        if response.status_code >= 500:
            problems.append(f"{response.status_code} {where}: {response.content[:200]!r}")
        elif 400 <= response.status_code < 500:
            wrong = check_api_error(response, kwargs.pop("_allowed", set())) if api else check_web_error(response)
            if wrong:
                problems.append(f"{response.status_code} {where}: {wrong}")
            if _counts() != before:
                problems.append(f"{response.status_code} {where}: rows stored on refusal {before} -> {_counts()}")
            if new := _files(world.media) - files_before:
                problems.append(f"{response.status_code} {where}: files left on refusal {sorted(new)[:3]}")
    return response


def path_params(world: World, endpoint: Endpoint) -> st.SearchStrategy[str]:
    """A concrete path for the endpoint: real values for the parameters it names, or hostile ones."""
    if endpoint.regex:
        return _text_path_value().map(lambda s: endpoint.route + quote(s, safe="/"))
    parts = []
    for name, conv in endpoint.converters:
        known = world.path_values.get(name, [])
        if conv == IntConverter.__name__:
            hostile = st.one_of(st.sampled_from(SPECIAL_INTS).filter(lambda n: n >= 0), st.integers(0, 10**6))
            value = st.one_of(st.sampled_from(known), hostile) if known else hostile
            value = value.map(str)
        else:
            hostile = _text_path_value().map(lambda s: quote(s, safe=""))
            value = st.one_of(st.sampled_from(known), st.sampled_from(known), hostile) if known else hostile
        parts.append(st.tuples(st.just(name), value.map(str)))
    route = endpoint.route

    def build(values: tuple[tuple[str, str], ...]) -> str:
        result = route
        for name, value in values:
            result = re.sub(rf"<(?:\w+:)?{name}>", lambda _m, v=value: v, result, count=1)
        return result

    return st.tuples(*parts).map(build) if parts else st.just(route)


def query_strings(names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    text = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
    key = st.one_of(st.sampled_from(names), text) if names else text
    return st.dictionaries(key, form_text, max_size=3)


def _with_query(path: str, query: dict[str, str]) -> str:
    return path + ("?" + urlencode(query) if query else "")


PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# The one-field tests send one request per example to one endpoint: more examples for the same time.
FIELD_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=EXAMPLES * 4)


CONTENT_TYPES = [
    "application/json; charset=bogus",
    "application/json; charset=utf-16",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "application/merge-patch+json",
]
ACCEPTS = ["text/html", "application/xml", "*/*", "image/png", "application/vnd.oai.openapi", "application/json; q=0"]


def _api_methods(world: World, endpoint: Endpoint) -> dict[str, dict[str, Any]]:
    ops = api_operation(world, endpoint)
    if not ops:  # not in the schema (the schema itself, the docs, the catch-all): try them all
        ops = {m: {"body": [], "query": []} for m in ["GET", "POST", "PUT", "PATCH", "DELETE"]}
    return ops


def _run_api_endpoint(world: World, endpoint: Endpoint, problems: list[str]) -> None:
    ops = _api_methods(world, endpoint)
    methods = sorted(ops)

    @PROPERTY_SETTINGS
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        role = data.draw(st.sampled_from(ROLES), label="role")
        # Mostly the methods the endpoint has; now and then one it has not (405 in the error format).
        others = [m for m in ["GET", "POST", "PATCH", "DELETE"] if m not in methods]
        method = data.draw(st.sampled_from(methods * 12 + others), label="method")
        op = ops.get(method, {"body": [], "query": []})
        path = data.draw(path_params(world, endpoint), label="path")
        query = data.draw(query_strings(op["query"]), label="query")
        base = world.filing_base if endpoint.name == "api-complaints" and method == "POST" else op.get("base")
        body = b"" if method == "GET" else data.draw(json_bodies(op["body"], base), label="body")
        try:
            sent = json.loads(body) if body else None
        except (ValueError, RecursionError):
            sent = None
        allowed = set(op["body"]) | set(op["query"]) | set(op.get("headers", [])) | {"non_field_errors"}
        allowed |= {str(k) for k in sent} if isinstance(sent, dict) else set()
        allowed |= set(query)
        allowed |= {"files", "Cookie", "path", "Content-Type", "Content-Length"}
        content_type = data.draw(st.sampled_from(["application/json"] * 6 + CONTENT_TYPES), label="Content-Type")
        accept = data.draw(st.sampled_from([None] * 6 + ACCEPTS), label="Accept")
        run_one(
            world,
            role,
            world.clients[f"api-{role}"],
            method,
            _with_query(path, query),
            problems,
            data=body,
            content_type=content_type,
            _allowed=allowed,
            **({"HTTP_ACCEPT": accept} if accept else {}),
        )

    example()


def _run_web_endpoint(world: World, endpoint: Endpoint, problems: list[str]) -> None:
    keys = sorted(world.forms.get(endpoint.name, set()))

    @PROPERTY_SETTINGS
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        role = data.draw(st.sampled_from(ROLES), label="role")
        method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
        path = data.draw(path_params(world, endpoint), label="path")
        client = world.clients[role]
        if method == "GET":
            query = data.draw(query_strings(keys or ["q", "election", "page", "status", "region"]), label="query")
            json_fetch = data.draw(st.booleans(), label="Accept JSON")
            extra = {"HTTP_ACCEPT": "application/json"} if json_fetch else {}
            run_one(world, role, client, "GET", _with_query(path, query), problems, **extra)
            return
        form = data.draw(form_data(keys), label="form")
        encoded = data.draw(st.sampled_from(["multipart", "urlencoded", "raw"]), label="encoding")
        if encoded == "multipart":
            run_one(world, role, client, "POST", path, problems, **_multipart(form))
        elif encoded == "urlencoded":
            pairs = {k: v for k, v in form.items() if not isinstance(v, SimpleUploadedFile)}
            body = urlencode(pairs, doseq=True).encode()
            run_one(
                world, role, client, "POST", path, problems, data=body, content_type="application/x-www-form-urlencoded"
            )
        else:
            raw = data.draw(st.sampled_from([b"a=%ED%A0%80", b"%zz=%", b"=" * 3000, b"a=" + b"%00" * 10, b"\xff\xfe"]))
            run_one(
                world, role, client, "POST", path, problems, data=raw, content_type="application/x-www-form-urlencoded"
            )

    example()


def _multipart(form: dict[str, Any]) -> dict[str, Any]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, form), "content_type": MULTIPART_CONTENT}


def _report(problems: list[str]) -> str:
    unique = list(dict.fromkeys(problems))
    return f"{len(unique)} problems:\n" + "\n".join(unique[:60])


def test_api_endpoints_answer_arbitrary_json_with_a_4xx_in_the_error_format(world: World) -> None:
    problems: list[str] = []
    for endpoint in API_ENDPOINTS:
        _run_api_endpoint(world, endpoint, problems)
    print(sorted(REQUESTS.items()))
    assert not problems, _report(problems)


def test_web_endpoints_answer_arbitrary_forms_with_a_page(world: World) -> None:
    problems: list[str] = []
    for endpoint in WEB_ENDPOINTS:
        _run_web_endpoint(world, endpoint, problems)
    print(sorted(REQUESTS.items()))
    assert not problems, _report(problems)


# --- one field wrong in an otherwise valid body: the refusal names that field -----------

LOCATION_FIELDS = {"station", "polling_station", "region", "place_text"}  # one of them is needed: refused together


def test_api_filing_with_one_field_of_any_value_names_that_field_when_refused(world: World) -> None:
    problems: list[str] = []
    client = world.clients["api-anonymous"]
    base = world.filing_base
    fields = sorted(base) + ["files", "reporter", "full_name", "email", "phone", "identity", "place_text", "region"]

    @FIELD_SETTINGS
    @given(name=st.sampled_from(fields), value=json_values(fields), ascii_only=st.booleans())
    def example(name: str, value: Any, ascii_only: bool) -> None:
        body = _encode_json({**base, name: value}, ascii_only)
        response = run_one(
            world,
            "anonymous",
            client,
            "POST",
            "/api/v1/complaints/",
            problems,
            data=body,
            content_type="application/json",
            _allowed=set(fields) | {"non_field_errors", "location"},
        )
        if response.status_code == 400 and response["Content-Type"] == "application/json":
            error = response.json()["error"]
            named = {f.split(".")[0] for f in error["fields"]}
            if (
                error["code"] not in {"parse_error", "too_deep", "null_character"}
                and name not in named
                and not (name in LOCATION_FIELDS and named & (LOCATION_FIELDS | {"non_field_errors"}))
            ):
                problems.append(f"{name}={str(value)[:80]!r}: refused naming {sorted(named)}, not {name}")

    example()
    print(sorted(REQUESTS.items()))
    assert not problems, _report(problems)


def test_web_filing_with_one_field_of_any_value_names_that_field_when_refused(world: World, web_form: Any) -> None:
    problems: list[str] = []
    client = world.clients["anonymous"]
    base = {k: str(v) for k, v in web_form().items()}

    @FIELD_SETTINGS
    @given(name=st.sampled_from(sorted(base)), value=form_text)
    def example(name: str, value: str) -> None:
        response = run_one(world, "anonymous", client, "POST", "/file/", problems, **_multipart({**base, name: value}))
        if response.status_code == 400 and response.context and "form" in response.context:
            named = set(response.context["form"].errors)
            if name not in named and not (name in LOCATION_FIELDS and named & (LOCATION_FIELDS | {"__all__"})):
                problems.append(f"{name}={value[:80]!r}: refused naming {sorted(named)}, not {name}")

    example()
    print(sorted(REQUESTS.items()))
    assert not problems, _report(problems)
