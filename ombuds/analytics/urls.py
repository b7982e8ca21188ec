from django.urls import path

from ombuds.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("evidence-pack/", views.evidence_pack, name="evidence_pack"),
    path("<slug:key>.csv", views.download, name="download"),
]
