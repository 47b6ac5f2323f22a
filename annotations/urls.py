from django.urls import path

from annotations import manage_views, views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("projects/new/", manage_views.project_create, name="project-create"),
    path("projects/<slug:slug>/", views.project_detail, name="project-detail"),
    path("projects/<slug:slug>/members/", manage_views.project_members, name="project-members"),
    path("projects/<slug:slug>/members/add/", manage_views.member_add, name="member-add"),
    path(
        "projects/<slug:slug>/members/<int:pk>/", manage_views.member_change, name="member-change"
    ),
    path("projects/<slug:slug>/articles/", views.project_articles, name="project-articles"),
    path("projects/<slug:slug>/articles/add/", views.article_add, name="article-add"),
    path("articles/<int:pk>/", views.article_read, name="article-read"),
    path("articles/<int:pk>/edit/", manage_views.article_edit, name="article-edit"),
    path("articles/<int:pk>/delete/", manage_views.article_remove, name="article-delete"),
    path("articles/<int:pk>/marks/", views.article_marks, name="article-marks"),
    path("articles/<int:pk>/state/", views.article_state, name="article-state"),
]
