from django.urls import path

from annotations import manage_views, views

urlpatterns = [
    path("projects/new/", manage_views.project_create, name="project-create"),
    path("projects/<slug:slug>/members/", manage_views.project_members, name="project-members"),
    path("projects/<slug:slug>/members/add/", manage_views.member_add, name="member-add"),
    path(
        "projects/<slug:slug>/members/<int:pk>/", manage_views.member_change, name="member-change"
    ),
    path("projects/<slug:slug>/articles/add/", views.article_add, name="article-add"),
    path("articles/<int:pk>/edit/", manage_views.article_edit, name="article-edit"),
    path("articles/<int:pk>/delete/", manage_views.article_remove, name="article-delete"),
]
