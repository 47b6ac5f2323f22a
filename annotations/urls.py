from django.urls import path

from annotations import views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("projects/<slug:slug>/", views.project_detail, name="project-detail"),
    path("projects/<slug:slug>/articles/", views.project_articles, name="project-articles"),
    path("projects/<slug:slug>/articles/add/", views.article_add, name="article-add"),
    path("articles/<int:pk>/", views.article_read, name="article-read"),
    path("articles/<int:pk>/marks/", views.article_marks, name="article-marks"),
    path("articles/<int:pk>/state/", views.article_state, name="article-state"),
]
