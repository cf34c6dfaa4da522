"""User text: kept as sent or refused naming the field; errors as sentences; right-to-left text isolated.

- ``str.strip()`` (Django's and DRF's trimming) removed U+000B, U+0085, U+2029 ... at the ends
  without a word: control characters are refused now, other text is kept exactly, and only
  ASCII space, tab, CR and LF are trimmed (``complaints/text.py``).
- One-line fields refuse line breaks; multi-line fields keep them.
- Nested API errors (a list's item) were Python reprs: now a sentence per item, by its path.
- A NUL in a header or cookie reached the session lookup (PostgreSQL: a 500); now a 400.
- User text in pages is isolated (<bdi> or dir="auto"), so a U+202E cannot reorder the page.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.models import AuditEvent, Complaint
from tests.api.conftest import API, error_of
from tests.images import png_bytes

pytestmark = pytest.mark.django_db


def _filed(anon: Any, payload: dict[str, Any]) -> Any:
    return anon.post(f"{API}/complaints/", payload, format="json")


# --- 1. nothing lost silently ------------------------------------------------------


@pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x85", "\x1c", "\x7f", "\x9f"])
@pytest.mark.parametrize("where", ["end", "start", "middle"])
def test_a_control_character_in_the_api_description_is_refused_naming_the_field(anon, filing_payload, char, where):
    text = "Директор требует фото бюллетеня"
    description = {"end": text + char, "start": char + text, "middle": text[:5] + char + text[5:]}[where]
    response = _filed(anon, filing_payload(description=description))
    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert error["fields"]["description"][0]["code"] == "control_character"
    assert "description" in error["message"]
    assert f"U+{ord(char):04X}" in error["message"]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("char", ["\u2029", "\u2028", "\u00a0", "\u3000", "\u2003"])
def test_other_unicode_at_the_ends_of_a_description_is_kept_exactly(anon, filing_payload, char):
    description = f"{char}Директор требует фото бюллетеня{char}"
    response = _filed(anon, filing_payload(description=description))
    assert response.status_code == 201, response.json()
    assert Complaint.objects.get().description == description


@pytest.mark.parametrize("char", ["\u00a0", "\u3000"])
def test_other_unicode_spaces_at_the_ends_of_a_place_are_kept_exactly(anon, filing_payload, char):
    response = _filed(anon, filing_payload(place_text=f"{char}Школа №5{char}"))
    assert response.status_code == 201, response.json()
    assert Complaint.objects.get().place_text == f"{char}Школа №5{char}"


def test_ascii_whitespace_at_the_ends_is_still_trimmed(anon, filing_payload):
    response = _filed(
        anon, filing_payload(description=" \t\nДиректор требует фото\r\nбюллетеня \n", place_text="  Школа ")
    )
    assert response.status_code == 201, response.json()
    complaint = Complaint.objects.get()
    assert complaint.description == "Директор требует фото\r\nбюллетеня"
    assert complaint.place_text == "Школа"


def test_a_value_of_only_unicode_spaces_counts_as_empty(anon, filing_payload):
    response = _filed(anon, filing_payload(description="\u3000" * 12))
    assert response.status_code == 400
    assert "description" in error_of(response)["fields"]


def test_a_control_character_in_the_web_form_is_refused_beside_the_field(client, web_form):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("web-file"), web_form(description="Директор требует фото бюллетеня\x0b"))
    assert response.status_code in (200, 400)
    assert not Complaint.objects.exists()
    errors = response.context["form"].errors
    assert "U+000B" in errors["description"][0]
    assert "What happened?" in errors["description"][0]


def test_the_web_form_keeps_a_trailing_paragraph_separator(client, web_form):
    description = "Директор требует фото бюллетеня\u2029"
    response = client.post(reverse("web-file"), web_form(description=description))
    assert response.status_code == 302, response.context["form"].errors
    assert Complaint.objects.get().description == description


# --- 2. one-line fields take one line ----------------------------------------------


@pytest.mark.parametrize("field", ["place_text", "full_name", "phone"])
@pytest.mark.parametrize("brk", ["\n", "\r", "\r\n", "\u2028", "\u2029"])
def test_a_line_break_in_a_one_line_api_field_is_refused(anon, filing_payload, field, brk):
    response = _filed(anon, filing_payload(**{field: f"Первая{brk}вторая"}))
    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert error["fields"][field][0]["code"] == "line_break"
    assert field in error["message"]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("field", ["place_text", "full_name", "phone"])
def test_a_line_break_in_a_one_line_web_field_is_refused(client, web_form, field):
    extra = {"identity": "named"} if field != "place_text" else {}
    response = client.post(reverse("web-file"), web_form(**{field: "Первая\r\nвторая"}, **extra))
    assert not Complaint.objects.exists()
    assert field in response.context["form"].errors


def test_a_line_break_in_the_russian_api_is_refused_in_russian(anon, filing_payload):
    response = anon.post(
        f"{API}/complaints/", filing_payload(place_text="a\nb"), format="json", HTTP_ACCEPT_LANGUAGE="ru"
    )
    message = error_of(response)["message"]
    assert "place_text" in message
    assert "строк" in message  # одну строку


def _request_serializers() -> list[Any]:
    from rest_framework import serializers

    from complaints.api import serializers as s

    classes = [getattr(s, name) for name in s.__all__]
    return [
        c
        for c in classes
        if isinstance(c, type) and issubclass(c, s.StrictJSONMixin) and issubclass(c, serializers.BaseSerializer)
    ]


# Lookups and formats: the value is matched against a pattern or stored data, never kept as text.
LOOKUPS = {"code", "secret", "duplicate_of", "action", "assignee", "also_covers"}


def test_every_free_text_field_of_an_api_body_follows_the_text_rule():
    from rest_framework import serializers

    from complaints.api.serializers import MultiLineField, OneLineField

    plain = [
        f"{cls.__name__}.{name}"
        for cls in _request_serializers()
        for name, field in cls().fields.items()
        if type(field) is serializers.CharField and not field.read_only and name not in LOOKUPS
    ]
    assert plain == []
    kinds = {
        name: type(field)
        for cls in _request_serializers()
        for name, field in cls().fields.items()
        if isinstance(field, OneLineField | MultiLineField)
    }
    for one_line in ("place_text", "full_name", "phone", "purpose", "authority", "authority_reference"):
        assert kinds[one_line] is OneLineField, one_line
    assert kinds["registration_number"] is OneLineField
    for multi in ("description", "comment", "body", "text"):
        assert kinds[multi] is MultiLineField, multi


def test_every_free_text_field_of_a_web_form_follows_the_text_rule():
    from django import forms

    from complaints.web import case_forms
    from complaints.web import forms as web_forms

    lookups = {"code", "secret", "duplicate_of", "q"}
    plain = [
        f"{name}.{field_name}"
        for module in (web_forms, case_forms)
        for name, cls in vars(module).items()
        if isinstance(cls, type) and issubclass(cls, forms.Form) and cls.__module__ == module.__name__
        for field_name, field in cls.base_fields.items()
        if type(field) is forms.CharField and field_name not in lookups
    ]
    assert plain == []


def test_escalation_authority_refuses_a_line_break(client_for, people, named_complaint):
    api = client_for(people["coordinator"])
    url = f"{API}/complaints/{named_complaint.code}/transitions/"
    response = api.post(
        url, {"action": "escalate", "authority": "ТИК\nПавлодар", "authority_reference": "12-3"}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert error_of(response)["fields"]["authority"][0]["code"] == "line_break"


# --- 3. errors are sentences -------------------------------------------------------


@pytest.mark.parametrize(("language", "expected"), [("en", "empty"), ("ru", "пуст")])
def test_an_empty_file_in_a_filing_is_a_sentence_naming_the_item(anon, filing_payload, language, expected):
    payload = filing_payload()
    payload["files"] = [
        SimpleUploadedFile("a.png", png_bytes(), "image/png"),
        SimpleUploadedFile("b.png", b"", "image/png"),
    ]
    response = anon.post(f"{API}/complaints/", payload, format="multipart", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    error = error_of(response)
    assert "ErrorDetail" not in response.content.decode()
    assert "{" not in error["message"]
    assert error["message"].startswith("files.1: ")
    assert expected in error["message"]
    assert error["fields"]["files.1"][0]["code"] == "empty"


@pytest.mark.parametrize(("language", "expected"), [("en", "valid choice"), ("ru", "допустимых")])
def test_a_bogus_status_filter_is_a_sentence(client_for, people, language, expected):
    api = client_for(people["reviewer"])
    response = api.get(f"{API}/complaints/?status=submitted,bogus", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    error = error_of(response)
    assert "ErrorDetail" not in response.content.decode()
    assert error["message"].startswith("status.1: ")
    assert expected in error["message"]
    assert "bogus" in error["message"]
    assert error["fields"]["status.1"][0]["code"] == "invalid_choice"


def test_several_invalid_fields_are_summed_up_in_the_request_language(anon, filing_payload):
    payload = filing_payload(description="x", category="nope")
    response = anon.post(f"{API}/complaints/", payload, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    error = error_of(response)
    assert set(error["fields"]) >= {"description", "category"}
    assert "see fields" not in error["message"]
    assert "fields" in error["message"]  # the key's name, in a Russian sentence


def test_an_unknown_api_address_answers_in_the_request_language():
    response = Client(HTTP_ACCEPT_LANGUAGE="ru").get(f"{API}/no-such-thing/")
    assert response.status_code == 404
    assert "No API endpoint" not in error_of(response)["message"]


# --- 4. the purpose of an identity reveal --------------------------------------------


@pytest.fixture
def coordinator(people):
    return people["coordinator"]


@pytest.fixture
def named_complaint(file_complaint, people):
    return file_complaint(reporter_user=people["observer"], full_name="Айгуль Observer", email="aigul@example.org")


@pytest.mark.parametrize(
    ("purpose", "code"),
    [("x" * 201, "max_length"), ("суд\x00", "null_character"), ("суд\nзапрос", "line_break"), ("   ", "blank")],
)
def test_the_api_refuses_a_bad_purpose_and_reveals_nothing(client_for, coordinator, named_complaint, purpose, code):
    api = client_for(coordinator)
    response = api.post(f"{API}/complaints/{named_complaint.code}/reporter/", {"purpose": purpose}, format="json")
    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert error["fields"]["purpose"][0]["code"] == code
    assert "Айгуль" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()


def test_the_api_refuses_a_purpose_of_a_mebibyte(client_for, coordinator, named_complaint):
    api = client_for(coordinator)
    url = f"{API}/complaints/{named_complaint.code}/reporter/"
    response = api.post(url, {"purpose": "x" * 2**20}, format="json")
    assert response.status_code in (400, 413)
    assert error_of(response)["code"] in ("too_large", "invalid")
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()


@pytest.mark.parametrize("purpose", ["x" * 2**20, "x" * 201, "суд\x00", "суд\r\nзапрос"])
def test_the_web_refuses_a_bad_purpose_and_reveals_nothing(client, coordinator, named_complaint, purpose):
    client.force_login(coordinator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("web-complaint-identity", args=[named_complaint.code]), {"purpose": purpose})
    assert response.status_code == 400
    assert "Айгуль" not in response.content.decode()
    assert "purpose" in response.content.decode()  # the field's id, beside its error
    assert not AuditEvent.objects.filter(action="identity_viewed").exists()


# --- 6. NUL in headers and cookies ---------------------------------------------------


HEADERS = [
    {"HTTP_COOKIE": "sessionid=abcdefghijkl\x00"},
    {"HTTP_COOKIE": "csrftoken=a\x00; sessionid=abcdefghijkl"},
    {"HTTP_ACCEPT_LANGUAGE": "\x00"},
    {"HTTP_X_FORWARDED_FOR": "\x00"},
    {"HTTP_AUTHORIZATION": "Api-Key \x00"},
    {"HTTP_AUTHORIZATION": "Api-Key abcdefgh.\x00abcdefghijkl"},
]


@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("path", ["/", "/file/", "/queue/", f"{API}/complaints/", f"{API}/public/stats/"])
def test_a_nul_in_a_header_or_cookie_is_a_400_never_a_500(election, settings, headers, path):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(raise_request_exception=False)
    for response in (client.get(path, **headers), client.post(path, {}, **headers)):
        assert response.status_code == 400, response.content[:300]
        if path.startswith(API):
            assert error_of(response)["code"] == "null_character"


def test_headers_without_nul_pass(election):
    assert Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_COOKIE="sessionid=abcdefghijkl").get("/").status_code == 200


# --- 5. right-to-left text is isolated -------------------------------------------------


RLO = "\u202e"


class _Isolation(HTMLParser):
    """Each text node holding the marker, and whether it sits inside <bdi> or an element with dir="auto"."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "area", "col", "base", "embed", "track"}

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.stack: list[bool] = []
        self.bare: list[str] = []
        self.found = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A select's option, a textarea or the title is a paragraph of its own: it cannot reorder its neighbours.
        isolated = tag in ("bdi", "option", "textarea", "title") or ("dir", "auto") in attrs
        for name, value in attrs:
            # Attributes shown as text (alt) count; form values, titles and labels the browser isolates itself.
            shown = name not in ("value", "title", "aria-label", "content", "href", "src")
            if value and self.marker in value and shown and not (isolated or any(self.stack)):
                self.bare.append(f"<{tag} {name}>")
        if tag not in self.VOID:
            self.stack.append(isolated)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.marker in data:
            self.found += 1
            if not any(self.stack):
                self.bare.append(data.strip()[:60])


def _bare(html: str, marker: str = RLO) -> tuple[int, list[str]]:
    parser = _Isolation(marker)
    parser.feed(html)
    return parser.found, parser.bare


def test_the_isolation_check_catches_bare_text():
    assert _bare(f"<p>a{RLO}b</p>") == (1, [f"a{RLO}b"])
    assert _bare(f"<p><bdi>a{RLO}b</bdi></p>")[1] == []
    assert _bare(f'<div dir="auto"><p>a{RLO}b</p></div>')[1] == []


@pytest.fixture
def rtl_complaint(file_complaint, people, png, territory):
    # Imported names too: a unit's name and a station's address.
    for unit in (territory["ekib"], territory["pav"]):
        unit.name_ru, unit.name_en = f"{unit.name_ru} {RLO}ру", f"{unit.name_en} {RLO}en"
        unit.save()
    territory["ps_pav"].address = f"ул. {RLO}Ленина 10"
    territory["ps_pav"].save()
    file_complaint(reporter_user=people["observer"], polling_station=None, place_text=f"Двор {RLO}дома 7")
    complaint = file_complaint(
        reporter_user=people["observer"],
        full_name=f"Айгуль {RLO}Observer",
        place_text=f"Школа {RLO}№5",
        description=f"Директор {RLO}требует фото бюллетеня.",
        files=[png(f"photo{RLO}gnp.exe.png")],
    )
    services.note_add(complaint=complaint, actor=people["coordinator"], body=f"Заметка {RLO}внутренняя")
    return complaint


def test_user_text_on_the_staff_pages_is_isolated(client, people, rtl_complaint):
    client.force_login(people["coordinator"])
    for url in (reverse("web-complaint", args=[rtl_complaint.code]), reverse("web-queue")):
        html = client.get(url).content.decode()
        found, bare = _bare(html)
        assert found, url
        assert bare == [], (url, bare)


def test_user_text_on_the_complainant_pages_is_isolated(client, people, rtl_complaint):
    import re

    client.force_login(people["observer"])
    mine = client.get(reverse("web-my")).content.decode()
    assert _bare(mine)[1] == []
    track = re.search(r'href="(/status/[^/"]+/)"', mine)
    assert track is not None
    found, bare = _bare(client.get(track.group(1)).content.decode())
    assert found >= 2  # the place and the description
    assert bare == []


def test_user_text_on_the_public_pages_is_isolated(client, rtl_complaint):
    for url in (reverse("home"), reverse("public-stats")):
        response = client.get(url)
        assert response.status_code == 200
        assert _bare(response.content.decode())[1] == [], (url, _bare(response.content.decode()))


def test_a_nul_in_a_cookie_is_refused_in_the_request_language(election):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru", HTTP_COOKIE="sessionid=abcdefghijkl\x00")
    response = client.get(f"{API}/complaints/")
    assert response.status_code == 400
    error = error_of(response)
    assert "Cookie" in error["fields"]
    assert "NUL" in error["message"]
    assert "Remove it" not in error["message"]
