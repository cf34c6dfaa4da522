"""GET /api/v1/complaints/?q=: the same search as the queue, ranked, paged by cursor, scoped, query-counted."""

from __future__ import annotations

from typing import Any

import pytest

from complaints import services

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_q_finds_word_forms_and_ranks_the_best_match_first(api, cases, file_complaint, make_user):
    reviewer = make_user("reviewer")
    strong = file_complaint(description="Директор, директор и снова директор школы в Экибастузе.")
    assert codes(api(reviewer, q="Экибастуза")) == [strong.code, cases["ekib"].code]
    assert codes(api(reviewer, q="директора"))[0] == strong.code


def test_q_pages_by_rank_with_a_cursor_without_losing_or_repeating_a_row(api, file_complaint, make_user):
    reviewer = make_user("reviewer")
    filed = {
        file_complaint(description=f"Директор {'директор ' * (i % 4)}требует фото бюллетеня.").code for i in range(7)
    }
    seen: list[str] = []
    response = api(reviewer, q="директор", page_size=3)
    while True:
        seen += codes(response)
        link = response.json()["next"]
        if not link:
            break
        response = api(reviewer, q="директор", page_size=3, cursor=link.split("cursor=")[1].split("&")[0])
    assert len(seen) == len(filed)
    assert set(seen) == filed


def test_q_combines_with_filters_and_other_orderings(api, cases, make_user):
    reviewer = make_user("reviewer")
    assert codes(api(reviewer, q="гимназия", region="pav")) == []
    assert set(codes(api(reviewer, q="гимназия", ordering="-created_at"))) == {cases["ala"].code, cases["kk"].code}
    assert codes(api(reviewer, q=cases["kk"].code.replace("-", "").lower())) == [cases["kk"].code]


def test_rank_ordering_needs_q(api, make_user):
    response = api(make_user("reviewer"), ordering="rank")
    assert response.status_code == 400
    assert "give q" in str(response.json())


def test_a_reviewer_never_finds_outside_their_regions_and_an_observer_never_finds_notes(
    api, cases, make_user, territory
):
    almaty = make_user("reviewer", units=[territory["ala"]])
    assert codes(api(almaty, q="Экибастуз")) == []
    services.note_add(complaint=cases["ekib"], actor=make_user("reviewer"), body="Свидетель Жумабеков")
    assert codes(api(make_user("reviewer"), q="Жумабеков")) == [cases["ekib"].code]
    assert codes(api(make_user("observer"), q="Жумабеков")) == []


def test_a_search_page_has_a_constant_number_of_queries(
    api, file_complaint, make_user, territory, django_assert_num_queries, django_assert_max_num_queries
):
    reviewer = make_user("reviewer")
    file_complaint()
    api(reviewer, q="директор")  # warm the per-process caches
    with django_assert_max_num_queries(10) as first:
        assert len(codes(api(reviewer, q="директор Экибастуз"))) == 1
    for i in range(12):
        file_complaint(polling_station=territory["ps_pav"], description=f"Директор в Экибастузе, случай {i}.")
    with django_assert_num_queries(len(first.captured_queries)):
        assert len(codes(api(reviewer, q="директор Экибастуз"))) == 13
