"""Article languages: detected at load unless given, sentences split in that language, and a
notice on the reader and the review card where the embedding model does not serve it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from annotations.languages import MSG_LANGUAGE
from annotations.models import Passage
from annotations.services import article_create, article_process
from annotations.services.segmentation import split_passages
from common.errors import ApplicationError
from tests.factories import (
    ArticleFactory,
    ClaimFactory,
    MatchCandidateFactory,
    PassageFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

# Ordinal dates, "z. B.", "Dr." and "Mio." end no German sentence; "Sr." and "EE. UU." no
# Spanish one. An English splitter cuts after "3." and "Mio." and inside "EE. UU.".
GERMAN = (
    "Stadtrat beschließt neue Hafenregeln\n"
    "Die Stadtverwaltung von Halden hat am 3. Oktober neue Regeln für den Hafen beschlossen. "
    "Betroffen sind z. B. die Fähren nach Norden, sagte Bürgermeisterin Dr. Anna Keller. "
    "Die Kosten liegen bei rund 4 Mio. Euro. Der Stadtrat will im Frühjahr erneut beraten."
)
GERMAN_SENTENCES = [
    "Stadtrat beschließt neue Hafenregeln",
    "Die Stadtverwaltung von Halden hat am 3. Oktober neue Regeln für den Hafen beschlossen.",
    "Betroffen sind z. B. die Fähren nach Norden, sagte Bürgermeisterin Dr. Anna Keller.",
    "Die Kosten liegen bei rund 4 Mio. Euro.",
    "Der Stadtrat will im Frühjahr erneut beraten.",
]
SPANISH = (
    "El Sr. Martínez, alcalde de Puerto Alto, anunció el martes el cierre de la terminal de "
    "ferris. Según el Gobierno de EE. UU., la ayuda llegará en marzo. "
    "La huelga de los trabajadores del ferri dura ya nueve semanas."
)
SPANISH_SENTENCES = [
    "El Sr. Martínez, alcalde de Puerto Alto, anunció el martes el cierre de la terminal de "
    "ferris.",
    "Según el Gobierno de EE. UU., la ayuda llegará en marzo.",
    "La huelga de los trabajadores del ferri dura ya nueve semanas.",
]
NOTICE_DE = "Article in German: the matching model is trained on English; proposals may be fewer."


@pytest.mark.parametrize(
    ("text", "language", "sentences"),
    [(GERMAN, "de", GERMAN_SENTENCES), (SPANISH, "es", SPANISH_SENTENCES)],
)
def test_an_article_is_detected_and_split_in_its_language(
    project, text, language, sentences
) -> None:
    article = article_create(project=project, text=text)
    assert article.language == language
    article_process(article_id=article.pk)
    passages = list(
        Passage.objects.filter(article=article).order_by("ordinal").values_list("text", flat=True)
    )
    assert passages == sentences
    # What the English rules would have made of it: the language is what splits it right.
    assert [span.text for span in split_passages(text, "en")] != sentences


def test_a_language_given_is_kept_as_its_code(project) -> None:
    assert article_create(project=project, text=GERMAN, language="de-CH").language == "de"
    english = "The council voted on Tuesday to close the ferry terminal after a long debate."
    assert article_create(project=project, text=english, language="ES").language == "es"


def test_a_value_that_is_no_language_code_is_refused(project) -> None:
    with pytest.raises(ApplicationError) as caught:
        article_create(project=project, text=GERMAN, language="Deutsch")
    assert caught.value.message == MSG_LANGUAGE.format(value="Deutsch")


def test_a_short_text_keeps_the_default_language(project) -> None:
    assert article_create(project=project, text="Berlin, 3. Oktober").language == "en"


def test_the_api_keeps_a_language_given_and_detects_one_left_out(project, editor) -> None:
    client = APIClient()
    client.force_authenticate(editor)
    given = client.post(
        "/api/articles/", {"project": project.pk, "text": SPANISH, "language": "gl"}, format="json"
    )
    assert given.status_code == 201, given.json()
    assert given.json()["language"] == "gl"
    detected = client.post("/api/articles/", {"project": project.pk, "text": GERMAN}, format="json")
    assert detected.status_code == 201, detected.json()
    assert detected.json()["language"] == "de"
    refused = client.post(
        "/api/articles/",
        {"project": project.pk, "text": "Another story.", "language": "Deutsch"},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["detail"] == MSG_LANGUAGE.format(value="Deutsch")


def _proposal(project, language: str, text: str):  # type: ignore[no-untyped-def]
    article = ArticleFactory(
        project=project, text=text, language=language, source=SourceFactory(project=project)
    )
    passage = PassageFactory(article=article, start=0, end=len(text))
    claim = ClaimFactory(project=project, statement="The council closed the ferry terminal")
    return MatchCandidateFactory(passage=passage, claim=claim, score=0.9)


def test_review_card_says_when_the_model_does_not_serve_the_language(
    client, project, editor
) -> None:
    german = _proposal(project, "de", "Der Rat schloss das Fährterminal.")
    english = _proposal(project, "en", "The council shut the ferry terminal.")
    client.force_login(editor)
    page = client.get(reverse("review-queue", args=[project.slug])).content.decode()
    cards = {
        c.pk: page.split(f'id="candidate-{c.pk}"')[1].split("</article>")[0]
        for c in (german, english)
    }
    assert NOTICE_DE in cards[german.pk]
    assert "the matching model is trained on English" not in cards[english.pk]


def test_reader_says_when_the_model_does_not_serve_the_language(client, project, viewer) -> None:
    german = ArticleFactory(project=project, text=GERMAN, language="de")
    english = ArticleFactory(project=project, text="The council met.", language="en")
    client.force_login(viewer)
    assert NOTICE_DE in client.get(german.get_absolute_url()).content.decode()
    page = client.get(english.get_absolute_url()).content.decode()
    assert "the matching model is trained on English" not in page
