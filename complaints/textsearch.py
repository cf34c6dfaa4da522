"""Staff search text rules: words, their stems, and the match expressions of both backends (docs/search.md).

Pure: no database. The index writers (``services.search``) and the search filter
(``selectors.search``) read everything they share from here, so a word is cut, folded and
stemmed the same way when a complaint is indexed and when a reviewer searches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from complaints.models.complaint import receipt_code_normalize

# A receipt code once normalised (models.complaint.receipt_code_normalize).
CODE_SHAPE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")
# A word: letters and digits (Cyrillic, Kazakh and Latin alike); "_" and punctuation separate.
WORD = re.compile(r"[^\W_]+")
# The longest search text read, and how many of its words count (more words only narrow further).
QUERY_MAX_LENGTH = 200
QUERY_MAX_WORDS = 8
# SQLite: a word this long or longer also matches as a prefix (its stem too): "Экибаст" finds "Экибастуз".
# Shorter words, and numbers (a station "12" must not find "1234"), match whole. PostgreSQL: whole words.
PREFIX_MIN_LENGTH = 3

# SQLite: the FTS5 table, one row per complaint (rowid = complaint id); its columns in this order.
FTS_TABLE = "complaints_search"
FTS_COLUMNS = ("code", "names", "place", "description", "notes")
# Columns anyone who may see a complaint may search; "notes" (internal notes, messages) is staff only.
FTS_PUBLIC_COLUMNS = ("code", "names", "place", "description")
# bm25 weights per column, in FTS_COLUMNS order: a receipt code or a place name outranks a note.
FTS_WEIGHTS = (10.0, 4.0, 2.0, 1.0, 0.5)

# PostgreSQL: the weights of the stored tsvector (services.search.PG_DOCUMENT_SQL).
# A: receipt code, station number, unit names; B: place, station address; C: description; D: notes.
PG_PUBLIC_WEIGHTS = "ABC"  # what a non-staff reader may match (notes are D)
PG_CONFIGS = ("russian", "simple")  # Russian word forms, and every word as written (Kazakh, names)


@lru_cache(maxsize=2)
def _stemmer(language: str) -> snowballstemmer.Stemmer:
    return snowballstemmer.stemmer(language)


def fold(text: str) -> str:
    """Lower case, ё as е (Russian writes either)."""
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    """The words of ``text``, folded."""
    return WORD.findall(fold(text))


def stem(word: str) -> str:
    """The Snowball stem: Russian for Cyrillic words (as PostgreSQL's "russian" config), English for ASCII."""
    if word.isdigit():
        return word
    return str(_stemmer("english" if word.isascii() else "russian").stemWord(word))


def forms(word: str) -> list[str]:
    """The stem and the word as written (the stem alone would lose Kazakh endings it mangles)."""
    stemmed = stem(word)
    return [stemmed] if stemmed == word else [stemmed, word]


def indexed_text(text: str) -> str:
    """What the FTS5 table stores for ``text``: every word's forms, space-separated."""
    return " ".join(form for word in words(text) for form in forms(word))


def receipt_lexeme(code: str) -> str:
    """A receipt code as one indexed word: ``ABCD-EFGH-JKMN`` -> ``abcdefghjkmn``."""
    return code.replace("-", "").lower()


@dataclass(frozen=True)
class SearchTerms:
    """What a search text asks for: a receipt code, or words that must all match (either will do)."""

    code: str = ""
    words: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.code and not self.words


def parse(text: str) -> SearchTerms:
    """A search box's text as terms. A receipt code is recognised with or without dashes, in any case."""
    text = text[:QUERY_MAX_LENGTH].strip()
    normalized = receipt_code_normalize(text)
    looks_like_code = bool(CODE_SHAPE.fullmatch(normalized)) and not text.isdigit()
    found: list[str] = []
    for word in words(text):
        if (len(word) > 1 or word.isdigit()) and word not in found:
            found.append(word)
    return SearchTerms(code=receipt_lexeme(normalized) if looks_like_code else "", words=tuple(found[:QUERY_MAX_WORDS]))


def _prefix(word: str) -> bool:
    return len(word) >= PREFIX_MIN_LENGTH and not word.isdigit()


def fts5_match(terms: SearchTerms, *, staff: bool) -> str:
    """The FTS5 MATCH expression: the receipt code, or each word by its stem or as written (prefix when
    long enough), all words; without ``staff`` the notes column is left out."""
    groups = []
    for word in terms.words:
        alternatives = [f'"{form}"*' if _prefix(form) else f'"{form}"' for form in forms(word)]
        groups.append("(" + " OR ".join(alternatives) + ")")
    expression = " AND ".join(groups)
    if expression and not staff:
        expression = "{" + " ".join(FTS_PUBLIC_COLUMNS) + "} : (" + expression + ")"
    if terms.code:
        code = f'code : "{terms.code}"'
        expression = f"{code} OR ({expression})" if expression else code
    return expression


def tsquery_term(word: str, *, staff: bool) -> str:
    """One word in to_tsquery syntax, each config stemming it its own way: ``экибастузе:ABC``.

    Whole words only: the stem already finds the other forms, and on a GIN index of a million
    documents a prefix (``:*``) of a common word costs five times its exact lookup (docs/search.md).
    Without ``staff`` only the weights a non-staff reader may match.
    """
    return word if staff else f"{word}:{PG_PUBLIC_WEIGHTS}"
