from django.urls import path

from claims import views

urlpatterns = [
    path("claims/<int:pk>/", views.claim_detail, name="claim-detail"),
]
