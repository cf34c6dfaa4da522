"""The staff search index: one document per complaint, rewritten by the services that change what it holds.

PostgreSQL: ``Complaint.search_vector``, a weighted tsvector (Russian word forms and every
word as written), built by one set-based statement (``PG_DOCUMENT_SQL``). SQLite: the FTS5
table ``textsearch.FTS_TABLE`` holding each word's Snowball stem and the word itself.
Both hold the same fields: receipt code, polling station number and address, place text,
the names (ru/kk/en) of the complaint's unit and its ancestors, the description, and the
notes (searchable by staff only). Callers: filing, notes, transitions that write a note,
the polling station import, the case file import, ``generate_complaints`` and
``manage.py search_reindex``. See docs/search.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import Aggregate, OuterRef, Subquery, TextField

from complaints import textsearch
from complaints.models import Complaint, Note

# The document of every complaint matching ``{where}`` (``c`` is the complaint, ``n`` a note), in four
# weighted parts (textsearch: A code, station number, unit names; B place; C description; D notes), each
# indexed by the "russian" config (word forms) and by "simple" (the word as written: Kazakh, names).
# Migration 0016 holds a frozen copy for its backfill (a test checks the two agree).
PG_DOCUMENT_SQL = """
WITH unit_names AS (
    SELECT u.id, string_agg(concat_ws(' ', a.name_ru, a.name_kk, a.name_en), ' ' ORDER BY a.path) AS names
    FROM complaints_territorialunit u
    JOIN complaints_territorialunit a ON left(u.path, length(a.path)) = a.path
    GROUP BY u.id
), note_bodies AS (
    SELECT n.complaint_id, string_agg(n.body, ' ' ORDER BY n.id) AS body
    FROM complaints_note n WHERE {where_note}
    GROUP BY n.complaint_id
), doc AS (
    SELECT c.id,
        translate(replace(c.code, '-', '') || ' ' || coalesce(s.number, '') || ' ' || coalesce(un.names, ''),
                  'ёЁ', 'ее') AS a,
        translate(c.place_text || ' ' || coalesce(s.address, ''), 'ёЁ', 'ее') AS b,
        translate(c.description, 'ёЁ', 'ее') AS c,
        translate(coalesce(nb.body, ''), 'ёЁ', 'ее') AS d
    FROM complaints_complaint c
    LEFT JOIN complaints_pollingstation s ON s.id = c.polling_station_id
    LEFT JOIN unit_names un ON un.id = c.unit_id
    LEFT JOIN note_bodies nb ON nb.complaint_id = c.id
    WHERE {where}
)
UPDATE complaints_complaint t SET search_vector =
    setweight(to_tsvector('russian', doc.a), 'A') || setweight(to_tsvector('simple', doc.a), 'A')
    || setweight(to_tsvector('russian', doc.b), 'B') || setweight(to_tsvector('simple', doc.b), 'B')
    || setweight(to_tsvector('russian', doc.c), 'C') || setweight(to_tsvector('simple', doc.c), 'C')
    || setweight(to_tsvector('russian', doc.d), 'D') || setweight(to_tsvector('simple', doc.d), 'D')
FROM doc WHERE doc.id = t.id
"""


def _pg_refresh(ids: list[int]) -> None:
    sql = PG_DOCUMENT_SQL.format(where="c.id = ANY(%s)", where_note="n.complaint_id = ANY(%s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, ids])


class _GroupConcat(Aggregate):
    """SQLite's ``group_concat(text, ' ')``: a complaint's notes as one text."""

    function = "group_concat"
    template = "%(function)s(%(expressions)s, ' ')"
    output_field = TextField()


# The unit's names and those of its ancestors: the tree is three levels deep (UnitLevel: country,
# region, district), so the unit, its parent and its grandparent are all of them.
_UNIT_NAMES = tuple(
    f"unit__{up}name_{language}" for up in ("parent__parent__", "parent__", "") for language in ("ru", "kk", "en")
)


def fts_rows(ids: Sequence[int]) -> list[tuple[int, str, str, str, str, str]]:
    """The FTS5 rows of these complaints, in ``textsearch.FTS_COLUMNS`` order, stemmed (one query)."""
    notes = (
        Note.objects.filter(complaint_id=OuterRef("pk"))
        .order_by()
        .values("complaint_id")
        .annotate(text=_GroupConcat("body"))
        .values("text")
    )
    columns = ("code", "place_text", "description", "polling_station__number", "polling_station__address")
    rows = (
        Complaint.objects.filter(pk__in=ids)
        .annotate(notes_text=Subquery(notes))
        .values_list("pk", *columns, "notes_text", *_UNIT_NAMES)
    )
    text = textsearch.indexed_text
    return [
        (
            pk,
            textsearch.receipt_lexeme(code),
            text(" ".join(filter(None, (number, *names)))),
            text(f"{place} {address or ''}"),
            text(description),
            text(notes or ""),
        )
        for pk, code, place, description, number, address, notes, *names in rows
    ]


def _fts_refresh(ids: list[int]) -> None:
    table = textsearch.FTS_TABLE
    placeholders = ", ".join(["%s"] * (len(textsearch.FTS_COLUMNS) + 1))
    with connection.cursor() as cursor:  # FTS5 replaces the row of the same rowid
        cursor.executemany(
            f"INSERT OR REPLACE INTO {table} (rowid, {', '.join(textsearch.FTS_COLUMNS)}) "  # noqa: S608
            f"VALUES ({placeholders})",
            [list(row) for row in fts_rows(ids)],
        )


# Complaints re-indexed per statement when many are (a rebuild, a renamed unit).
REFRESH_BATCH = 10_000


def search_index_refresh(*, complaint_ids: Iterable[int]) -> int:
    """Rewrite the search documents of these complaints from what is stored now; returns how many.

    Called inside the caller's transaction, after it wrote what changed: the document commits
    (or rolls back) with the change itself. One statement per 10,000 complaints on PostgreSQL, two on SQLite.
    """
    ids = sorted(set(complaint_ids))
    refresh = _pg_refresh if connection.vendor == "postgresql" else _fts_refresh
    for start in range(0, len(ids), REFRESH_BATCH):
        refresh(ids[start : start + REFRESH_BATCH])
    return len(ids)


def search_index_refresh_units(*, unit_paths: Iterable[str]) -> int:
    """Re-index the complaints under these units (their names changed); returns how many."""
    done = 0
    for path in set(unit_paths):
        ids = Complaint.objects.filter(unit_path__startswith=path).values_list("pk", flat=True)
        done += search_index_refresh(complaint_ids=list(ids))
    return done


def search_index_rebuild() -> int:
    """Every complaint's document again (``manage.py search_reindex``); returns how many."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:  # also forgets rows of complaints that no longer exist
            cursor.execute(f"DELETE FROM {textsearch.FTS_TABLE}")  # noqa: S608
    last, done = 0, 0
    while True:
        ids = list(Complaint.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:REFRESH_BATCH])
        if not ids:
            return done
        done += search_index_refresh(complaint_ids=ids)
        last = ids[-1]
