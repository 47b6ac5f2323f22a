"""factory_boy factories for every model; tests build what they need from these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import models
from factory.django import DjangoModelFactory

from annotations.models import Article, Membership, Passage, Project, Role, Source
from annotations.services.extraction import content_hash
from claims.models import Alias, Annotation, CandidateState, Claim, MatchCandidate

_M = TypeVar("_M", bound=models.Model)


class ModelFactory(DjangoModelFactory[_M]):
    """A DjangoModelFactory that mypy knows returns its model: `ArticleFactory()` is an Article.

    factory_boy's metaclass turns the call into create(), but its `__call__` is untyped, so
    mypy would type `ArticleFactory()` as an ArticleFactory. Only type checkers see `__new__`.
    """

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # mypy wants __new__ to return the class itself; here the call returns the model.
        def __new__(cls, *args: Any, **kwargs: Any) -> _M: ...  # type: ignore[misc]


class UserFactory(ModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class ProjectFactory(ModelFactory[Project]):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Story desk {n}")
    slug = factory.Sequence(lambda n: f"story-desk-{n}")


class MembershipFactory(ModelFactory[Membership]):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


class SourceFactory(ModelFactory[Source]):
    class Meta:
        model = Source

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Outlet {n}")


class ArticleFactory(ModelFactory[Article]):
    class Meta:
        model = Article

    project = factory.SubFactory(ProjectFactory)
    source = factory.SubFactory(SourceFactory, project=factory.SelfAttribute("..project"))
    title = factory.Faker("sentence", nb_words=6)
    text = factory.Faker("paragraph", nb_sentences=8)
    content_hash = factory.LazyAttribute(lambda a: content_hash(a.text))


class PassageFactory(ModelFactory[Passage]):
    class Meta:
        model = Passage

    article = factory.SubFactory(ArticleFactory)
    ordinal = factory.Sequence(lambda n: n)
    start = 0
    end = factory.LazyAttribute(lambda p: min(len(p.article.text), 40))
    text = factory.LazyAttribute(lambda p: p.article.text[p.start : p.end])


class ClaimFactory(ModelFactory[Claim]):
    class Meta:
        model = Claim

    project = factory.SubFactory(ProjectFactory)
    statement = factory.Faker("sentence", nb_words=8)


class AnnotationFactory(ModelFactory[Annotation]):
    """A mention of the first few words of the article (override start/end as needed)."""

    class Meta:
        model = Annotation

    article = factory.SubFactory(ArticleFactory)
    claim = factory.SubFactory(ClaimFactory, project=factory.SelfAttribute("..article.project"))
    start = 0
    end = factory.LazyAttribute(lambda a: min(len(a.article.text), 20))
    exact = factory.LazyAttribute(lambda a: a.article.text[a.start : a.end])
    prefix = factory.LazyAttribute(lambda a: a.article.text[max(0, a.start - 32) : a.start])
    suffix = factory.LazyAttribute(lambda a: a.article.text[a.end : a.end + 32])


class MatchCandidateFactory(ModelFactory[MatchCandidate]):
    class Meta:
        model = MatchCandidate

    passage = factory.SubFactory(PassageFactory)
    article = factory.SelfAttribute("passage.article")
    project = factory.SelfAttribute("passage.article.project")
    claim = factory.SubFactory(ClaimFactory, project=factory.SelfAttribute("..project"))
    start = factory.SelfAttribute("passage.start")
    end = factory.SelfAttribute("passage.end")
    score = 0.8
    signals = factory.LazyFunction(lambda: {"semantic": 0.8})
    engine_version = "test"
    state = CandidateState.PENDING


class AliasFactory(ModelFactory[Alias]):
    class Meta:
        model = Alias

    canonical = factory.Sequence(lambda n: f"Placeville{n}")
    variant = factory.Sequence(lambda n: f"Plaseville{n}")
