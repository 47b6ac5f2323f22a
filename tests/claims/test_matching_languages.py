"""Matching where the articles are not in English: the English-only normalisers stay out of
the way, and shared words still lead to a proposal."""

from __future__ import annotations

import pytest

from annotations.models import Article
from annotations.services import article_create, article_process
from claims.matching import match_claim
from claims.matching.config import matching_config
from claims.matching.context import project_context
from claims.matching.normalizers import (
    AliasTable,
    actors,
    extract_dates,
    extract_quantities,
    fold,
)
from claims.matching.signals import lexical_terms
from claims.models import MatchCandidate
from claims.services import annotation_create

PUERTO = (
    "El ayuntamiento de Puerto Alto votó el martes el cierre de la terminal de ferris.\n"
    "La huelga de los trabajadores del ferri dura ya nueve semanas, dijo la sindicalista "
    "Ana Kowalski.\n"
    "La reparación del viejo muelle costará 4 millones de euros, según el ayuntamiento."
)
GACETA = (
    "Los trabajadores del ferri de Puerto Alto llevan nueve semanas de huelga, según la "
    "sindicalista Ana Kowalski.\n"
    "El turismo en la región cayó con fuerza durante el verano.\n"
    "El año pasado, una huelga del personal del aeropuerto duró seis semanas."
)
QUOTE = "La huelga de los trabajadores del ferri dura ya nueve semanas"


def _load(project, text: str, outlet: str) -> Article:  # type: ignore[no-untyped-def]
    article = article_create(project=project, text=text, outlet=outlet)
    article_process(article_id=article.pk)
    return article


@pytest.mark.django_db
def test_a_claim_marked_in_a_spanish_article_is_proposed_in_another(project) -> None:
    puerto, gaceta = _load(project, PUERTO, "Diario"), _load(project, GACETA, "Gaceta")
    assert (puerto.language, gaceta.language) == ("es", "es")
    start = PUERTO.index(QUOTE)
    claim = annotation_create(
        article=puerto,
        start=start,
        end=start + len(QUOTE),
        statement="La huelga de los trabajadores del ferri dura nueve semanas",
    ).claim
    match_claim(claim_id=claim.pk)
    best = MatchCandidate.objects.filter(claim=claim, article=gaceta).order_by("-score").first()
    assert best is not None
    assert best.score >= matching_config({})["match_threshold"]
    assert GACETA[best.start : best.end].startswith("Los trabajadores del ferri")
    assert {"huelga", "semanas", "trabajadores"} <= set(best.signals["lexical"]["shared"])
    # The words were counted in Spanish: as written, not cut by the English suffix stripper.
    context = project_context(project.pk)
    assert context.vocab.language == "es"
    assert context.vocab.df["semanas"] == 3 and "semana" not in context.vocab.df


def test_english_normalisers_apply_to_english_text_only() -> None:
    # "once" is eleven in Spanish, an English function word; "seven" an English number word.
    assert lexical_terms(fold("once semanas"), AliasTable(), "es") == ["once", "semanas"]
    assert lexical_terms(fold("once the strikes"), AliasTable()) == ["strik"]
    assert [q.label() for q in extract_quantities("seven months")] == ["7 month"]
    assert extract_quantities("seven months", language="es") == []
    assert [d.label() for d in extract_dates("on 3 March 2024")[0]] == ["2024-03-03"]
    assert [d.label() for d in extract_dates("am 3 March 2024", "de")[0]] == ["2024"]
    # German capitalises every noun: a capitalised word there names no one.
    assert actors("Die Regierung in Berlin") == [("die", "regierung"), ("berlin",)]
    assert actors("Die Regierung in Berlin", language="de") == []
