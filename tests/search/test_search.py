"""Staff search (q=): word forms, places, notes, scope and filters, on SQLite (FTS5) and PostgreSQL (FTS + pg_trgm)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.urls import reverse

from complaints import services, textsearch
from complaints.models import Complaint, NoteVisibility, PollingStation
from complaints.services import search as live
from complaints.services import territory as territory_import

pytestmark = pytest.mark.django_db


def test_a_declined_town_name_finds_the_complaints_filed_there(search, cases, make_user):
    reviewer = make_user("reviewer")
    for form in ("Экибастузе", "экибастуза", "Экибастуз", "Ekibastuz"):
        assert search(reviewer, form) == [cases["ekib"].code], form


def test_a_word_of_the_description_in_another_form(search, cases, make_user):
    reviewer = make_user("reviewer")
    assert search(reviewer, "педсовет") == [cases["ekib"].code]  # the text says "педсовете"
    assert search(reviewer, "наблюдатели") == [cases["ala"].code]  # the text says "Наблюдателя"
    assert search(reviewer, "подсчет") == [cases["ala"].code]  # ё or е, either is found


def test_every_word_must_match_and_the_best_match_comes_first(search, cases, file_complaint, make_user):
    reviewer = make_user("reviewer")
    assert search(reviewer, "Экибастуз наблюдателя") == []
    also = file_complaint(description="Директор велел, директор проверял: директор школы давит на учителей.")
    found = search(reviewer, "директор")
    assert set(found) == {cases["ekib"].code, also.code}
    assert found[0] == also.code  # the word three times outranks once


def test_a_kazakh_word(search, cases, make_user):
    reviewer = make_user("reviewer")
    assert search(reviewer, "бақылаушыны") == [cases["kk"].code]
    assert search(reviewer, "сайлау") == [cases["kk"].code]


def test_a_polling_station_by_number_and_by_address(search, cases, make_user):
    reviewer = make_user("reviewer")
    assert search(reviewer, "512") == [cases["ekib"].code]
    assert search(reviewer, "51") == []  # a number matches whole, never as a prefix
    assert set(search(reviewer, "гимназия")) == {cases["ala"].code, cases["kk"].code}


def test_a_receipt_code_as_printed_without_dashes_and_in_lower_case(search, cases, make_user):
    reviewer = make_user("reviewer")
    code = cases["ala"].code
    for typed in (code, code.replace("-", ""), code.lower(), code.replace("-", "").lower(), f" {code} "):
        assert search(reviewer, typed) == [code], typed


def test_internal_notes_are_searched_for_staff_only(search, cases, make_user, territory):
    reviewer = make_user("reviewer")
    services.note_add(complaint=cases["ala"], actor=reviewer, body="Свидетель — водитель автобуса Жумабеков.")
    assert search(reviewer, "Жумабекова") == [cases["ala"].code]
    # The observer who filed it (through their account) may search their complaints, not the staff's notes.
    observer = make_user("observer")
    own = services.complaint_file(
        election=cases["ala"].election,
        category=cases["ala"].category,
        polling_station=territory["ps_ala"],
        occurred_at=cases["ala"].occurred_at,
        description="Водителя автобуса заставили привезти рабочих на участок.",
        reporter_user=observer,
    ).complaint
    services.note_add(complaint=own, actor=reviewer, body="Проверить Жумабекова", visibility=NoteVisibility.INTERNAL)
    assert search(observer, "водитель") == [own.code]
    assert search(observer, "Жумабекова") == []
    assert set(search(reviewer, "Жумабекова")) == {cases["ala"].code, own.code}


def test_a_message_in_a_transition_is_searchable(search, cases, make_user):
    reviewer = make_user("reviewer")
    complaint = cases["ekib"]
    for action in ("triage", "start_review"):
        complaint = services.complaint_transition(complaint=complaint, action=action, actor=reviewer)
    services.complaint_transition(
        complaint=complaint, action="request_info", actor=reviewer, comment="Пришлите фотографию объявления."
    )
    assert search(reviewer, "фотографии объявлений") == [complaint.code]


def test_scope_comes_first_a_complaint_outside_the_reviewers_regions_is_never_found(
    search, cases, make_user, territory
):
    pavlodar = make_user("reviewer", units=[territory["pav"]])
    assert search(pavlodar, "Экибастуз") == [cases["ekib"].code]
    assert search(pavlodar, "наблюдателя") == []
    assert search(pavlodar, cases["ala"].code) == []
    assert search(pavlodar, "гимназия") == []


def test_search_combines_with_status_and_region_filters(search, cases, make_user, file_complaint, territory):
    reviewer = make_user("reviewer")
    other = file_complaint(polling_station=territory["ps_ala"], description="Наблюдателя удалили из зала.")
    services.complaint_transition(complaint=other, action="triage", actor=reviewer)
    assert set(search(reviewer, "наблюдателя")) == {cases["ala"].code, other.code}
    assert search(reviewer, "наблюдателя", status=["triaged"]) == [other.code]
    assert search(reviewer, "наблюдателя", region="pav") == []
    assert set(search(reviewer, "наблюдателя", region="ala")) == {cases["ala"].code, other.code}


def test_punctuation_alone_finds_nothing_and_blank_is_no_search(search, cases, make_user):
    reviewer = make_user("reviewer")
    assert search(reviewer, "«»!?") == []
    assert len(search(reviewer, "   ")) == len(cases)


def test_a_changed_station_address_is_searched_after_the_import(search, cases, make_user, territory):
    reviewer = make_user("reviewer")
    station: PollingStation = territory["ps_pav"]
    services.search_index_refresh(complaint_ids=[cases["ekib"].pk])
    assert search(reviewer, "Машхур") == []
    csv = (
        "region_code,region_name_ru,region_name_kk,region_name_en,district_code,district_name_ru,district_name_kk,"
        "district_name_en,station_number,address,latitude,longitude\n"
        f'pav,,,,pav-ekibastuz,,,,{station.number},"г. Экибастуз, ул. Машхур Жусупа, 118",,\n'
    )
    territory_import.polling_stations_import_csv(data=csv.encode())
    assert search(reviewer, "Машхур") == [cases["ekib"].code]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="trigram similarity needs pg_trgm")
def test_a_misspelt_town_name_is_found_by_trigram_similarity(search, cases, make_user):
    reviewer = make_user("reviewer")
    assert search(reviewer, "Экибастус") == [cases["ekib"].code]
    assert search(reviewer, "Экибастус педсовет") == [cases["ekib"].code]
    assert search(reviewer, "Экибастус наблюдателя") == []


def test_the_sqlite_index_stores_stems_and_words(cases):
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 table is SQLite's")
    with connection.cursor() as cursor:
        sql = f"SELECT names, description FROM {textsearch.FTS_TABLE} WHERE rowid = %s"  # noqa: S608
        cursor.execute(sql, [cases["ekib"].pk])
        names, description = cursor.fetchone()
    assert "экибастуз" in names.split()
    assert "павлодарск" in names.split()
    assert "педсовет" in description.split()
    assert "педсовете" in description.split()


def test_rebuild_gives_the_same_answers(search, cases, make_user):
    reviewer = make_user("reviewer")
    before = search(reviewer, "Экибастуз")
    assert services.search_index_rebuild() == Complaint.objects.count()
    assert search(reviewer, "Экибастуз") == before


def test_the_queue_page_searches_with_a_constant_number_of_queries(
    client, make_user, file_complaint, territory, django_assert_num_queries, django_assert_max_num_queries
):
    coordinator = make_user("coordinator")
    client.force_login(coordinator)
    file_complaint()
    url = reverse("web-queue")
    client.get(url, {"q": "Экибастузе директор"})  # warm the session and permission caches
    with django_assert_max_num_queries(30) as first:
        client.get(url, {"q": "Экибастузе директор"})
    for _ in range(10):
        file_complaint(description="Директор собрал паспорта рабочих в Экибастузе.")
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(url, {"q": "Экибастузе директор"})
    assert len(response.context["page"].object_list) == 11
    assert "Экибастузе директор" in response.content.decode()  # the box keeps what was typed


def test_the_migration_keeps_a_frozen_copy_of_the_document_rules():
    """Changing what the index holds needs a migration that rebuilds it: the copies must agree until then."""
    migration = importlib.import_module("complaints.migrations.0016_search")
    assert migration.PG_DOCUMENT_SQL == live.PG_DOCUMENT_SQL
    assert migration.FTS_TABLE == textsearch.FTS_TABLE
    assert migration.indexed_text("Экибастузе, Сайлау 12") == textsearch.indexed_text("Экибастузе, Сайлау 12")
