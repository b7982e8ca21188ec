from django.urls import path

from ombuds.resources import views

app_name = "resources"

urlpatterns = [
    path("support/", views.support, name="support"),
]
