"""The public side of published cases: list and filters, case page, stripped evidence, Atom feeds, datasets."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, Note, NoteVisibility, PublishedCase
from tests.publication.conftest import REPORTER, SUMMARY

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def publish(complaint: Complaint, actor: Any, **kwargs: Any) -> PublishedCase:
    kwargs.setdefault("summary", SUMMARY)
    kwargs.setdefault("evidence_ids", [])
    kwargs.setdefault("acknowledge_warnings", True)
    return services.case_publish(complaint=complaint, actor=actor, **kwargs)


def decide(complaint: Complaint, actor: Any, result: str = "rejected") -> None:
    submission = services.submission_file(
        complaint=complaint, actor=actor, authority_text="Павлодарская областная избирательная комиссия"
    )
    services.submission_record_outcome(
        submission=submission, actor=actor, outcome=result, decided_on=timezone.localdate(), text="Отказать."
    )


@pytest.fixture
def almaty_case(file_complaint, substantiate, territory, coordinator) -> PublishedCase:
    complaint = substantiate(
        file_complaint(polling_station=territory["ps_ala"], occurred_at=timezone.now() - timedelta(days=3))
    )
    return publish(complaint, coordinator, summary="В Алматы наблюдателя не пустили на участок.")


@pytest.fixture
def published(case_complaint, coordinator, ready) -> PublishedCase:
    Note.objects.create(
        complaint=case_complaint, author=coordinator, body="ВНУТРЕННЯЯ-ЗАМЕТКА", visibility=NoteVisibility.INTERNAL
    )
    return publish(
        case_complaint, coordinator, evidence_ids=[ready[0].pk], titles={"ru": "Давление на работников в Экибастузе"}
    )


def forbidden_strings(case: PublishedCase, coordinator: Any) -> list[str]:
    complaint = case.complaint
    return [
        complaint.code,
        complaint.code.replace("-", ""),
        "Байкенов",
        REPORTER["email"],
        "234-56-78",
        coordinator.username,
        "ВНУТРЕННЯЯ-ЗАМЕТКА",
        "участок.png",  # the uploaded file name
        *[e.sha256 for e in complaint.evidence.exclude(pk__in=case.evidence.all())],
    ]


def assert_clean(text: str, case: PublishedCase, coordinator: Any) -> None:
    for value in forbidden_strings(case, coordinator):
        assert value not in text, value


def test_the_case_page_shows_the_summary_and_the_decision_but_no_identity(client, published, coordinator):
    decide(published.complaint, coordinator)
    response = client.get(f"/cases/{published.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Давление на работников в Экибастузе" in html
    assert "Наблюдатели зафиксировали давление" in html
    assert "Pavlodar Region" in html
    assert "Pressure by employer" in html
    assert "Павлодарская областная избирательная комиссия" in html
    assert 'data-decision="rejected"' in html
    assert 'data-outcome="rejected"' in html
    assert "Отказать." not in html  # the decision text may name the applicant: not published
    assert_clean(html, published, coordinator)
    assert "512" not in html  # the station is not shown unless chosen


def test_evidence_is_served_only_as_the_stripped_copy(client, published, ready):
    response = client.get(f"/cases/{published.slug}/evidence/1/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == ready[0].public_sha256 != ready[0].sha256
    assert client.get(f"/cases/{published.slug}/evidence/2/").status_code == 404  # the other photo was not chosen
    assert client.get(f"/cases/{published.slug}/evidence/0/").status_code == 404


def test_the_list_filters(client, published, almaty_case, election, category):
    def slugs(query: str) -> list[str]:
        response = client.get(f"/cases/?{query}")
        assert response.status_code == 200, response.content
        return [c.slug for c in response.context["page"].object_list]

    assert slugs("") == [almaty_case.slug, published.slug]
    assert slugs("region=pav") == [published.slug]
    assert slugs("region=ala") == [almaty_case.slug]
    assert slugs(f"election={election.slug}&category={category.code}") == [almaty_case.slug, published.slug]
    assert slugs("election=other") == []
    assert slugs("outcome=not_submitted") == [almaty_case.slug, published.slug]
    assert slugs("outcome=rejected") == []
    day = published.occurred_on  # two hours ago, in the registry's time zone
    assert slugs(f"from={day.isoformat()}") == [published.slug]
    assert slugs(f"to={(day - timedelta(days=1)).isoformat()}") == [almaty_case.slug]


def test_the_outcome_follows_the_decision(client, published, coordinator):
    decide(published.complaint, coordinator, "upheld")
    response = client.get("/cases/?outcome=upheld")
    assert [c.slug for c in response.context["page"].object_list] == [published.slug]


def test_a_bad_filter_is_a_400_naming_it(client, published):
    response = client.get("/cases/?from=03.04.2011")
    assert response.status_code == 400
    assert "from" in response.content.decode()
    assert client.get("/open-data/cases.csv?outcome=maybe").status_code == 400


def test_the_list_query_count_is_constant(client, published, almaty_case, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert client.get("/cases/").status_code == 200


def feed_entries(client, path: str) -> tuple[ET.Element, list[ET.Element]]:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed, in a test
    assert root.tag == f"{ATOM}feed"
    return root, root.findall(f"{ATOM}entry")


def test_the_atom_feeds_all_and_per_region(client, published, almaty_case):
    root, entries = feed_entries(client, "/cases/feed.atom")
    assert [e.find(f"{ATOM}title").text for e in entries] == [almaty_case.title, published.title]
    first = entries[1]
    assert first.find(f"{ATOM}link").get("href").endswith(f"/cases/{published.slug}/")
    assert first.find(f"{ATOM}id").text.endswith(f"/cases/{published.slug}/")
    assert "Наблюдатели зафиксировали" in first.find(f"{ATOM}summary").text
    _root, pav = feed_entries(client, "/cases/feed/pav.atom")
    assert [e.find(f"{ATOM}id").text.rsplit("/", 2)[-2] for e in pav] == [published.slug]
    _root, ala = feed_entries(client, "/cases/feed/ala.atom")
    assert len(ala) == 1
    assert ala[0].find(f"{ATOM}title").text == almaty_case.title
    assert client.get("/cases/feed/nowhere.atom").status_code == 404


def test_a_feed_entry_is_updated_when_the_decision_is_recorded(client, published, coordinator):
    PublishedCase.objects.filter(pk=published.pk).update(published_at=timezone.now() - timedelta(days=2))
    _root, before = feed_entries(client, "/cases/feed.atom")
    decide(published.complaint, coordinator)
    _root, after = feed_entries(client, "/cases/feed.atom")
    assert after[0].find(f"{ATOM}updated").text > before[0].find(f"{ATOM}updated").text
    assert any(c.get("term") == "Rejected" for c in after[0].findall(f"{ATOM}category"))


def test_the_datasets(client, published, almaty_case, territory, ready, coordinator):
    station = territory["ps_ala"]
    station.latitude, station.longitude = Decimal("43.238949"), Decimal("76.889709")
    station.save()
    publish(almaty_case.complaint, coordinator, summary=almaty_case.summary, show_station=True)

    response = client.get("/open-data/cases.csv?hxl=1")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["id"] == "#meta+id"  # the HXL hashtag row
    by_id = {r["id"]: r for r in rows[1:]}
    assert set(by_id) == {published.slug, almaty_case.slug}
    assert by_id[published.slug]["evidence_sha256"] == ready[0].public_sha256
    assert by_id[almaty_case.slug]["polling_station"] == "101"

    lines = b"".join(client.get("/open-data/cases.jsonl?region=pav").streaming_content).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [published.slug]

    geo = json.loads(client.get("/open-data/cases.geojson").content)
    features = {f["id"]: f for f in geo["features"]}
    assert features[almaty_case.slug]["geometry"] == {"type": "Point", "coordinates": [76.889709, 43.238949]}
    assert features[published.slug]["geometry"] is None
    for dataset in (text, "\n".join(lines), json.dumps(geo, ensure_ascii=False)):
        assert_clean(dataset, published, coordinator)


def test_unpublished_cases_vanish_from_every_public_output(client, published, almaty_case, coordinator):
    services.case_unpublish(complaint=published.complaint, reason="Риск для наблюдателя", actor=coordinator)
    assert client.get(f"/cases/{published.slug}/").status_code == 410
    assert client.get(f"/cases/{published.slug}/evidence/1/").status_code == 404
    assert [c.slug for c in client.get("/cases/").context["page"].object_list] == [almaty_case.slug]
    _root, entries = feed_entries(client, "/cases/feed.atom")
    assert len(entries) == 1
    _root, entries = feed_entries(client, "/cases/feed/pav.atom")
    assert entries == []
    outputs = [
        b"".join(client.get("/open-data/cases.csv").streaming_content).decode(),
        b"".join(client.get("/open-data/cases.jsonl").streaming_content).decode(),
        client.get("/open-data/cases.geojson").content.decode(),
        client.get("/cases/feed.atom").content.decode(),
        client.get("/cases/").content.decode(),
    ]
    for output in outputs:
        assert published.slug not in output
        assert almaty_case.slug in output
    assert client.get("/cases/nosuchcase/").status_code == 404


def test_public_pages_in_three_languages(client, published):
    for lang, word in (("ru", "Опубликованные дела"), ("kk", "Жарияланған істер"), ("en", "Published cases")):
        response = client.get("/cases/", HTTP_ACCEPT_LANGUAGE=lang)
        assert word in response.content.decode(), lang


def test_public_pages_are_rate_limited(client, published, monkeypatch):
    from complaints.api.throttling import PublicStatsThrottle

    # monkeypatch removes the class attribute afterwards, so no other test inherits the rate.
    monkeypatch.setattr(
        PublicStatsThrottle, "THROTTLE_RATES", {**PublicStatsThrottle.THROTTLE_RATES, "public_stats": "2/minute"}
    )
    codes = [client.get(f"/cases/{published.slug}/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
