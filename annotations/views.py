"""Browser pages for projects and articles (the reader is built in the annotation-UI issue)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotations import selectors


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.project_list(user=request.user)
    return render(request, "annotations/project_list.html", {"projects": projects})


@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_get(user=request.user, slug=slug)
    articles = selectors.article_list(user=request.user, project=project)
    return render(
        request, "annotations/project_detail.html", {"project": project, "articles": articles}
    )


@login_required
def article_read(request: HttpRequest, pk: int) -> HttpResponse:
    article = selectors.article_get(user=request.user, pk=pk)
    return render(request, "annotations/article_read.html", {"article": article})
