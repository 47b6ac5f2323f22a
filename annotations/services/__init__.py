"""Writes for projects, articles and passages. Re-exported so callers import from one place."""

from annotations.services.articles import (
    article_create,
    article_create_from_file,
    article_create_from_url,
    article_reprocess,
)
from annotations.services.processing import article_process
from annotations.services.projects import membership_set, project_create
from annotations.services.revisions import article_revise

__all__ = [
    "article_create",
    "article_create_from_file",
    "article_create_from_url",
    "article_process",
    "article_reprocess",
    "article_revise",
    "membership_set",
    "project_create",
]
