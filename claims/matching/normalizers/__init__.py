"""Normalizers for what embeddings miss: numbers and durations, dates, names and their variants.

Everything here is language knowledge (number words, month names, English function words,
honorifics), never knowledge of a story: aliases come from the editable `Alias` table or from
the articles themselves ("X, known as Y"), and misspellings are found by string similarity.
The word lists and the stemmer are English and apply to English texts only (`ENGLISH`); a text
of another language is compared by its plain words, digits and ISO dates.
Texts are folded to ASCII with Unidecode first so "Dvořák"/"Dvorak", curly quotes and
dashes compare as plain characters.
"""

# Clauses are cut when an article is processed: their embeddings are stored with the passage.
from annotations.services.segmentation import clause_windows
from claims.matching.normalizers.dates import (
    MONTHS,
    WEEKDAYS,
    DateRef,
    dates_compatible,
    extract_dates,
)
from claims.matching.normalizers.names import (
    NAME_VARIANT_SIMILARITY,
    AliasTable,
    actors,
    discover_aliases,
    name_similarity,
)
from claims.matching.normalizers.numbers import (
    MEASURES,
    ORDINALS,
    SCALES,
    TENS,
    UNITS,
    Quantity,
    extract_quantities,
)
from claims.matching.normalizers.text import (
    ENGLISH,
    NEGATIONS,
    STOPWORDS,
    TITLES,
    fold,
    function_words,
    quotes,
    stem,
    words,
)

__all__ = [
    "ENGLISH",
    "MEASURES",
    "MONTHS",
    "NAME_VARIANT_SIMILARITY",
    "NEGATIONS",
    "ORDINALS",
    "SCALES",
    "STOPWORDS",
    "TENS",
    "TITLES",
    "UNITS",
    "WEEKDAYS",
    "AliasTable",
    "DateRef",
    "Quantity",
    "actors",
    "clause_windows",
    "dates_compatible",
    "discover_aliases",
    "extract_dates",
    "extract_quantities",
    "fold",
    "function_words",
    "name_similarity",
    "quotes",
    "stem",
    "words",
]
