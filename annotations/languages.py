"""Article languages: ISO 639-1 codes, detected from the text where a load does not give one.

Segmentation splits sentences by the article's language, the matcher applies its English-only
normalisers to English texts alone, and the reader and review screen say when the embedding
model does not serve the language.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from django.utils.translation import get_language_info

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

DEFAULT_LANGUAGE = "en"
# Languages the embedding model (all-MiniLM-L6-v2) was trained on.
EMBEDDING_LANGUAGES = frozenset({"en"})
# The detector's probability below which a text keeps the default: a headline, a caption or a
# line of names is given to some language with a low one (under 0.35 for every English line of
# the demo and evaluation articles), a paragraph with one above 0.95.
MIN_CONFIDENCE = 0.8
# The head of the text that is read: enough for a confident guess, and a bounded cost.
DETECT_CHARS = 10_000

MSG_LANGUAGE = "“{value}” is not a language code; give an ISO 639-1 code such as “de” or “es”."
MSG_NOT_SERVED = (
    "Article in {language}: the matching model is trained on English; proposals may be fewer."
)

# A BCP 47 tag whose primary subtag is an ISO 639-1 code: "de", "pt-BR", "es_419".
_TAG = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]{1,8})*$")


def language_code(value: str) -> str:
    """The ISO 639-1 code of a language tag ("de-AT" -> "de"), or "" if it is not one."""
    match = _TAG.match(value.strip().lower())
    return match.group(1) if match else ""


@cache
def _identifier() -> LanguageIdentifier:
    # Loaded on first use, once per process (it is large); classify() only reads it.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, *, default: str = DEFAULT_LANGUAGE) -> str:
    """The text's language as an ISO 639-1 code, or `default` where the detector is unsure or
    names a language that has no two-letter code."""
    found, confidence = _identifier().classify(text[:DETECT_CHARS])
    if confidence < MIN_CONFIDENCE or len(found) != 2:
        return default
    return str(found)


def language_name(code: str) -> str:
    """The language's English name ("de" -> "German"), or its code if Django does not know it."""
    try:
        return str(get_language_info(code)["name"])
    except KeyError:
        return code


def language_notice(code: str) -> str:
    """What the reader and the review screen say about an article's language: nothing where the
    embedding model serves it."""
    if code in EMBEDDING_LANGUAGES:
        return ""
    return MSG_NOT_SERVED.format(language=language_name(code))
