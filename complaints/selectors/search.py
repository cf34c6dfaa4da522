"""Staff search: the queue's ``q`` as a filter and a rank over the stored search documents (docs/search.md).

PostgreSQL matches ``Complaint.search_vector`` (GIN) with each word by its Russian stem or as
written (a prefix), and also finds a word by trigram similarity to the names of territorial
units (a misspelt town); ranked by ts_rank. SQLite matches the FTS5 table, ranked by bm25.
Either way the receipt code (with or without dashes, any case) and a station number match
exactly, every word must match, notes only for staff, and the caller's scope and filters
apply to the same query: the search narrows ``visible_complaints``, never widens it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    BooleanField,
    Expression,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from complaints import textsearch
from complaints.access import Access, access_for
from complaints.models import Complaint, Reporter, TerritorialUnit

# A word this close to a unit's name (pg_trgm word_similarity, 0..1) finds the complaints of that unit.
NAME_SIMILARITY = 0.6
# Words this short are never compared by trigrams (too many near names).
TRIGRAM_MIN_LENGTH = 4

SEARCH_RANK = "search_rank"

# A search is ranked only when the caller's matches (scope and filters applied) are at most this many:
# ranking reads every match's document (about 200 ms for 10,000 matches at a million complaints), while
# the queue order walks its index and stops after a page. Beyond it the queue order is kept, and the
# page and the API answer say so. ``settings.SEARCH_RANK_LIMIT`` overrides it (docs/search.md, Ranking).
RANK_LIMIT = 2000


@dataclass(frozen=True)
class Search:
    """A parsed search: what to keep (``condition``) and how well each kept complaint matches (``rank``)."""

    condition: Q
    rank: Expression
    by_code: bool = False  # a receipt code was given: one complaint, however many words


class _IsAnyOf(Func):
    """``column = ANY(ARRAY(subquery))``: an index condition PostgreSQL can OR with the text match."""

    arg_joiner = " = ANY("
    template = "(%(expressions)s))"
    output_field = BooleanField()


def _word_query(word: str, *, staff: bool) -> SearchQuery:
    term = textsearch.tsquery_term(word, staff=staff)
    russian, simple = textsearch.PG_CONFIGS
    return SearchQuery(term, config=russian, search_type="raw") | SearchQuery(term, config=simple, search_type="raw")


# The units (ids) in or under a unit whose name in any language is that close to the word: raw SQL,
# built per request in microseconds where the same as a queryset cost milliseconds to build and compile.
_UNITS = TerritorialUnit._meta.db_table
_SIMILAR_UNITS_SQL = (
    f"ARRAY(SELECT v.id FROM {_UNITS} v WHERE EXISTS (SELECT 1 FROM {_UNITS} n "  # noqa: S608 - a constant table
    "WHERE left(v.path, length(n.path)) = n.path AND GREATEST(word_similarity(%s, n.name_ru), "
    "word_similarity(%s, n.name_kk), word_similarity(%s, n.name_en)) >= %s))"
)


def _similar_units(word: str) -> Q:
    """Complaints in (or under) a unit whose name in any language is close to ``word``."""
    units = RawSQL(_SIMILAR_UNITS_SQL, [word, word, word, NAME_SIMILARITY])  # noqa: S611 - the word is a parameter
    return Q(_IsAnyOf(F("unit_id"), units))


def _postgresql(terms: textsearch.SearchTerms, *, staff: bool) -> Search:
    condition = Q()
    ranked: Any = None
    for word in terms.words:
        query = _word_query(word, staff=staff)
        ranked = query if ranked is None else ranked | query
        match = Q(search_vector=query)
        # Not when the text is a receipt code: its pieces are no misspelt town, and the unit list's
        # unknown size would make PostgreSQL plan a scan of every complaint instead of two index lookups.
        if len(word) >= TRIGRAM_MIN_LENGTH and not word.isdigit() and not terms.code:
            match |= _similar_units(word)
        condition &= match
    if terms.code:
        code = SearchQuery(f"{terms.code}:A", config="simple", search_type="raw")
        condition = Q(search_vector=code) | condition if terms.words else Q(search_vector=code)
        ranked = code if ranked is None else ranked | code
    # ts_rank is a float4, read back rounded to its shortest text: as float8 the value the API's cursor
    # carries compares equal to the one computed again on the next page.
    rank = Cast(SearchRank(F("search_vector"), ranked), FloatField())
    return Search(condition=condition, rank=rank, by_code=bool(terms.code))


def _sqlite(terms: textsearch.SearchTerms, *, staff: bool) -> Search:
    match = textsearch.fts5_match(terms, staff=staff)
    # The table name and the weights are constants; the search text is always a parameter.
    table = textsearch.FTS_TABLE
    weights = ", ".join(str(w) for w in textsearch.FTS_WEIGHTS)
    ids = RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [match])  # noqa: S611, S608
    # bm25 is lower for better matches; negated, so the rank orders descending on both backends.
    rank_sql = (
        f"SELECT -bm25({table}, {weights}) FROM {table} "  # noqa: S608
        f'WHERE {table} MATCH %s AND {table}.rowid = "complaints_complaint"."id"'
    )
    rank = RawSQL(rank_sql, [match], output_field=FloatField())  # noqa: S611
    return Search(condition=Q(pk__in=ids), rank=rank)


def search_for(*, user: Any, q: str) -> Search | None:
    """The search ``q`` asks for, as this user may search (notes only for staff); None when blank.

    Text with no word at all (only punctuation) matches nothing. Built once per user object and
    text (i.e. per request, as ``access_for``): a page asks for it up to three times.
    """
    if not q or not q.strip():
        return None
    cache: dict[str, Search] | None = getattr(user, "_registry_searches", None)
    if cache is None:
        cache = {}
        if user is not None:
            user._registry_searches = cache
    if q not in cache:
        cache[q] = _search_for(user, q)
    return cache[q]


def _search_for(user: Any, q: str) -> Search:
    terms = textsearch.parse(q)
    if terms.empty:
        return Search(condition=Q(pk__in=[]), rank=Value(0.0, output_field=FloatField()))
    access = access_for(user)
    staff = bool(access.staff_roles)
    if connection.vendor != "postgresql":
        return _sqlite(terms, staff=staff)
    search = _postgresql(terms, staff=staff)
    if staff and not access.everywhere and access.scope_paths:
        search = replace(search, condition=search.condition & _scope_as_index_condition(access))
    return search


def _scope_as_index_condition(access: Access) -> Q:
    """The caller's scope once more, in a form PostgreSQL can AND with the text match in one bitmap scan.

    ``visible_complaints`` already applies the scope, OR-ed with the complaints the user filed as a
    subquery, which PostgreSQL can only check row by row: a word in one complaint in eight then
    reads every match in the country to keep those of one region. Repeated as index conditions
    (unit path prefixes, ids of their own complaints as an array), only the region's matches are
    read. It names the same complaints, so it can only narrow, never widen, what the search finds.
    """
    own = Reporter.objects.filter(user_id=access.user_id or 0).values("complaint_id")  # 0: no one
    condition = Q(_IsAnyOf(F("pk"), ArraySubquery(own)))
    for path in access.scope_paths:
        condition |= Q(unit_path__startswith=path)
    return condition


def search_apply(qs: QuerySet[Complaint], search: Search | None, *, ranked: bool = True) -> QuerySet[Complaint]:
    """``qs`` narrowed to the search, with ``search_rank`` annotated when ``ranked``."""
    if search is None:
        return qs
    qs = qs.filter(search.condition)
    return qs.annotate(**{SEARCH_RANK: search.rank}) if ranked else qs


def rank_limit() -> int:
    return int(getattr(settings, "SEARCH_RANK_LIMIT", RANK_LIMIT))


def few_enough_to_rank(matches: QuerySet[Complaint], search: Search) -> bool:
    """Whether ``matches`` holds at most ``rank_limit()`` rows, in one query.

    SQLite counts them (no further than one more). PostgreSQL asks its planner for the estimate
    (EXPLAIN, planning only): an exact count builds the same bitmaps as the ranked search itself,
    about 200 ms for a common word at a million complaints, while the estimate costs a few ms. A
    receipt code is always ranked: it names one complaint, and the estimate of its OR-ed conditions
    is wide of the mark.
    """
    limit = rank_limit()
    if connection.vendor != "postgresql":
        return matches.order_by().values("pk")[: limit + 1].count() <= limit
    explained = matches.order_by().values("pk").explain(format="json")  # asked even so: constant queries
    if not explained:  # a search that can match nothing (only punctuation) is not even planned
        return True
    return search.by_code or bool(json.loads(explained)[0]["Plan"]["Plan Rows"] <= limit)
