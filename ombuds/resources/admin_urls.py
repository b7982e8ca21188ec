"""Administrators' pages for the support resources, included at /staff/admin/resources/ by ombuds/urls.py."""

from django.urls import path

from ombuds.resources import admin_views as views

app_name = "resources_admin"

urlpatterns = [
    path("", views.index, name="index"),
    path("settings/", views.support_settings, name="settings"),
    path("new/", views.new_resource, name="new"),
    path("<int:resource_id>/", views.resource, name="resource"),
    path("defaults/<slug:default_key>/", views.default, name="default"),
    path("defaults/<slug:default_key>/reset/", views.default_reset, name="default_reset"),
]
