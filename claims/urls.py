from django.urls import path

from claims import views

urlpatterns = [
    path("claims/<int:pk>/", views.claim_detail, name="claim-detail"),
    path("claims/<int:pk>/edit/", views.claim_edit, name="claim-edit"),
    path("claims/<int:pk>/merge/", views.claim_merge, name="claim-merge"),
    path("claims/<int:pk>/relations/", views.relation_create, name="relation-create"),
    path("mentions/<int:pk>/detach/", views.mention_detach, name="mention-detach"),
    path("articles/<int:pk>/mentions/", views.mention_create, name="mention-create"),
    path("projects/<slug:slug>/claims/search/", views.claim_search, name="claim-search"),
    path("projects/<slug:slug>/review/", views.review_queue, name="review-queue"),
    path("projects/<slug:slug>/matrix/", views.claim_matrix, name="claim-matrix"),
    path("candidates/<int:pk>/decide/", views.candidate_decide, name="candidate-decide"),
]
