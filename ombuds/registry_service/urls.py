from django.urls import path

from ombuds.registry_service import views

urlpatterns = [
    path("", views.public_key),
    path("v1/public-key", views.public_key),
    path("v1/evaluate", views.evaluate),
    path("v1/entries", views.entries),
    path("v1/entries/withdraw", views.withdraw),
    path("v1/lookup", views.lookup),
    path("v1/hits", views.hits),
]
