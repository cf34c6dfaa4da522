"""A search is ranked only when its matches are few (selectors.search.RANK_LIMIT); beyond, the queue order, said so."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from complaints import selectors
from complaints.api import views
from complaints.models import Complaint
from tests.search.test_api_search import codes

pytestmark = pytest.mark.django_db

# SQLite counts the matches exactly; PostgreSQL goes by its planner's estimate, which on a table of a
# few rows is anything from one up: there the limits are set far from it on either side.
POSTGRES = connection.vendor == "postgresql"
FEW = 10**6 if POSTGRES else 4  # a limit the four matches are within
MANY = 0 if POSTGRES else 3  # a limit they are more than


@pytest.fixture
def directors(file_complaint: Callable[..., Complaint]) -> dict[str, Complaint]:
    """Four complaints with the word "директор", one of them three times (the best match), filed last."""
    found = {f"once{i}": file_complaint(description=f"Директор требует фото бюллетеня, случай {i}.") for i in range(3)}
    found["best"] = file_complaint(description="Директор, директор и снова директор школы.")
    return found


def queue_order(user: Any, matches: dict[str, Complaint]) -> list[str]:
    """The codes of ``matches`` in the queue's order (no search)."""
    queue = selectors.complaint_queue_for(user=user, filters=selectors.QueueFilters())
    return [c.code for c in queue if c.code in {m.code for m in matches.values()}]


def test_few_matches_are_ranked_the_best_first(search, directors, make_user, settings):
    settings.SEARCH_RANK_LIMIT = FEW
    reviewer = make_user("reviewer")
    assert selectors.search_ranked(user=reviewer, filters=selectors.QueueFilters(q="директор")) is True
    assert search(reviewer, "директор")[0] == directors["best"].code


def test_more_matches_than_the_limit_keep_the_queue_order(search, directors, make_user, settings):
    settings.SEARCH_RANK_LIMIT = MANY
    reviewer = make_user("reviewer")
    assert selectors.search_ranked(user=reviewer, filters=selectors.QueueFilters(q="директор")) is False
    assert search(reviewer, "директор") == queue_order(reviewer, directors)
    assert selectors.search_ranked(user=reviewer, filters=selectors.QueueFilters()) is None  # no search
    if not POSTGRES:  # the limit counts the matches in the caller's filters: narrowed by a word, ranked again
        assert selectors.search_ranked(user=reviewer, filters=selectors.QueueFilters(q="директор снова")) is True


def test_the_api_says_when_a_search_is_not_ranked(api, directors, make_user, settings):
    reviewer = make_user("reviewer")
    settings.SEARCH_RANK_LIMIT = FEW
    ranked = api(reviewer, q="директор")
    assert codes(ranked)[0] == directors["best"].code
    assert ranked.json()["ranked"] is True
    assert "ranking_note" not in ranked.json()
    settings.SEARCH_RANK_LIMIT = MANY
    unranked = api(reviewer, q="директор")
    assert codes(unranked) == queue_order(reviewer, directors)
    assert unranked.json()["ranked"] is False
    assert f"Too many matches to rank (more than {MANY})" in unranked.json()["ranking_note"]
    assert "ranked" not in api(reviewer).json()  # no search, nothing to say


def test_the_api_pages_an_unranked_search_in_queue_order_and_keeps_the_first_pages_order(
    api,
    directors,
    make_user,
    settings,
):
    reviewer = make_user("reviewer")
    settings.SEARCH_RANK_LIMIT = MANY
    seen: list[str] = []
    response = api(reviewer, q="директор", page_size=1)
    while True:
        seen += codes(response)
        assert response.json()["ranked"] is False
        link = response.json()["next"]
        if not link:
            break
        settings.SEARCH_RANK_LIMIT = FEW  # ranked now: a next page still follows its cursor's order
        response = api(reviewer, q="директор", page_size=1, cursor=link.split("cursor=")[1].split("&")[0])
    assert seen == queue_order(reviewer, directors)


def test_constant_queries_whether_ranked_or_not(
    api,
    file_complaint,
    make_user,
    settings,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    settings.SEARCH_RANK_LIMIT = FEW
    reviewer = make_user("reviewer")
    file_complaint()
    api(reviewer, q="директор")  # warm the per-process caches
    with django_assert_max_num_queries(10) as first:
        assert api(reviewer, q="директор").json()["ranked"] is True
    for i in range(8):
        file_complaint(description=f"Директор собрал паспорта, случай {i}.")
    settings.SEARCH_RANK_LIMIT = MANY
    with django_assert_num_queries(len(first.captured_queries)):
        assert api(reviewer, q="директор").json()["ranked"] is False


def test_the_queue_page_says_when_a_search_is_not_ranked(client, directors, make_user, settings):
    client.force_login(make_user("coordinator"))
    url = reverse("web-queue")
    settings.SEARCH_RANK_LIMIT = FEW
    ranked = client.get(url, {"q": "директор"})
    assert ranked.context["page"].object_list[0].code == directors["best"].code
    assert ranked.context["unranked_search"] is False
    assert "data-unranked-search" not in ranked.content.decode()
    settings.SEARCH_RANK_LIMIT = MANY
    unranked = client.get(url, {"q": "директор"})
    user = unranked.wsgi_request.user
    assert [c.code for c in unranked.context["page"].object_list] == queue_order(user, directors)
    note = re.search(r"<span data-unranked-search>([^<]*)</span>", unranked.content.decode())
    assert note is not None
    assert f" {MANY})" in note[1]  # in the page's language, with the limit
    with translation.override("en"):
        assert f"Too many matches to rank (more than {MANY}): shown in queue order." in views.unranked_note()
