"""Staff search: the search document of every complaint (docs/search.md).

PostgreSQL: the pg_trgm extension (trigram similarity of unit names), ``search_vector`` with
its GIN index, filled for existing rows by one set-based statement. SQLite: the column stays
empty; an FTS5 table holds the documents, filled here with Snowball stems. The SQL and the
word rules are frozen copies of ``services.search`` and ``textsearch`` as of this migration
(tests/search/test_index.py checks that they still agree).
"""

import re

import django.contrib.postgres.search
import snowballstemmer
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FTS_TABLE = "complaints_search"
FTS_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "code, names, place, description, notes, tokenize = 'unicode61 remove_diacritics 0')"
)
PG_INDEX = "CREATE INDEX IF NOT EXISTS complaint_search ON complaints_complaint USING gin (search_vector)"

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

WORD = re.compile(r"[^\W_]+")
STEMMERS = {"english": snowballstemmer.stemmer("english"), "russian": snowballstemmer.stemmer("russian")}


def indexed_text(text):
    out = []
    for word in WORD.findall(text.lower().replace("ё", "е")):
        stemmed = word if word.isdigit() else STEMMERS["english" if word.isascii() else "russian"].stemWord(word)
        out.extend([stemmed] if stemmed == word else [stemmed, word])
    return " ".join(out)


def sqlite_backfill(cursor):
    units = {
        path: " ".join(filter(None, names))
        for path, *names in cursor.execute(
            "SELECT path, name_ru, name_kk, name_en FROM complaints_territorialunit"
        ).fetchall()
    }
    notes = {}
    for complaint_id, body in cursor.execute("SELECT complaint_id, body FROM complaints_note ORDER BY id").fetchall():
        notes.setdefault(complaint_id, []).append(body)
    rows = cursor.execute(
        "SELECT c.id, c.code, coalesce(u.path, ''), c.place_text, c.description, coalesce(s.number, ''), "
        "coalesce(s.address, '') FROM complaints_complaint c "
        "LEFT JOIN complaints_territorialunit u ON u.id = c.unit_id "
        "LEFT JOIN complaints_pollingstation s ON s.id = c.polling_station_id"
    ).fetchall()
    for pk, code, path, place, description, number, address in rows:
        names = " ".join(units.get(path[: i + 1], "") for i, ch in enumerate(path) if ch == "/")
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, code, names, place, description, notes) VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608
            (
                pk,
                code.replace("-", "").lower(),
                indexed_text(f"{number} {names}"),
                indexed_text(f"{place} {address}"),
                indexed_text(description),
                indexed_text(" ".join(notes.get(pk, []))),
            ),
        )


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_INDEX)
            cursor.execute(PG_DOCUMENT_SQL.format(where="TRUE", where_note="TRUE"))
        elif connection.vendor == "sqlite":
            cursor.execute(FTS_CREATE)
            sqlite_backfill(cursor.cursor)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS complaint_search")
        elif connection.vendor == "sqlite":
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0015_reporter_encryption")]

    operations = [
        TrigramExtension(),  # PostgreSQL only (Django skips it elsewhere)
        migrations.AddField(
            model_name="complaint",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True, verbose_name="search document"
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
