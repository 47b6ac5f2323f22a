from django.urls import path

from claims import (
    claim_list_views,
    edit_views,
    project_views,
    reader_views,
    review_desk_views,
    views,
)

urlpatterns = [
    path("", project_views.project_list, name="project-list"),
    path("projects/<slug:slug>/", project_views.project_detail, name="project-detail"),
    path("projects/<slug:slug>/articles/", project_views.project_articles, name="project-articles"),
    path("articles/<int:pk>/", reader_views.article_read, name="article-read"),
    path("articles/<int:pk>/marks/", reader_views.article_marks, name="article-marks"),
    path("articles/<int:pk>/state/", reader_views.article_state, name="article-state"),
    path("claims/<int:pk>/", views.claim_detail, name="claim-detail"),
    path("claims/<int:pk>/edit/", views.claim_edit, name="claim-edit"),
    path("claims/<int:pk>/delete/", edit_views.claim_remove, name="claim-delete"),
    path("claims/<int:pk>/merge/", views.claim_merge, name="claim-merge"),
    path("claims/<int:pk>/relations/", views.relation_create, name="relation-create"),
    path("mentions/<int:pk>/span/", edit_views.mention_span, name="mention-span"),
    path("mentions/<int:pk>/detach/", views.mention_detach, name="mention-detach"),
    path("articles/<int:pk>/mentions/", views.mention_create, name="mention-create"),
    path("projects/<slug:slug>/claims/search/", views.claim_search, name="claim-search"),
    path("projects/<slug:slug>/claims/", claim_list_views.claim_list, name="claim-list"),
    path("projects/<slug:slug>/review/", views.review_queue, name="review-queue"),
    path("projects/<slug:slug>/matrix/", views.claim_matrix, name="claim-matrix"),
    path("candidates/<int:pk>/decide/", views.candidate_decide, name="candidate-decide"),
    path("candidates/<int:pk>/undo/", review_desk_views.candidate_undo_view, name="candidate-undo"),
    path(
        "candidates/<int:pk>/merge/",
        review_desk_views.candidate_merge_offer,
        name="candidate-merge-offer",
    ),
    path(
        "projects/<slug:slug>/review/bulk/",
        review_desk_views.candidates_bulk,
        name="candidates-bulk",
    ),
]
