"""factory_boy factories for every model; tests build what they need from these."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from annotations.models import Annotation, Article, Membership, Passage, Project, Role, Source
from annotations.services.extraction import content_hash
from claims.models import Alias, CandidateState, Claim, MatchCandidate


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Story desk {n}")
    slug = factory.Sequence(lambda n: f"story-desk-{n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Outlet {n}")


class ArticleFactory(DjangoModelFactory):
    class Meta:
        model = Article

    project = factory.SubFactory(ProjectFactory)
    source = factory.SubFactory(SourceFactory, project=factory.SelfAttribute("..project"))
    title = factory.Faker("sentence", nb_words=6)
    text = factory.Faker("paragraph", nb_sentences=8)
    content_hash = factory.LazyAttribute(lambda a: content_hash(a.text))


class PassageFactory(DjangoModelFactory):
    class Meta:
        model = Passage

    article = factory.SubFactory(ArticleFactory)
    ordinal = factory.Sequence(lambda n: n)
    start = 0
    end = factory.LazyAttribute(lambda p: min(len(p.article.text), 40))
    text = factory.LazyAttribute(lambda p: p.article.text[p.start : p.end])


class ClaimFactory(DjangoModelFactory):
    class Meta:
        model = Claim

    project = factory.SubFactory(ProjectFactory)
    statement = factory.Faker("sentence", nb_words=8)


class AnnotationFactory(DjangoModelFactory):
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


class MatchCandidateFactory(DjangoModelFactory):
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


class AliasFactory(DjangoModelFactory):
    class Meta:
        model = Alias

    canonical = factory.Sequence(lambda n: f"Placeville{n}")
    variant = factory.Sequence(lambda n: f"Plaseville{n}")
