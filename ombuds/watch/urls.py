from django.urls import path

# Importing the case URLs registers the <ref:...> converter these routes share.
from ombuds.cases import urls as _case_urls  # noqa: F401
from ombuds.watch import views

app_name = "watch"

urlpatterns = [
    path("retaliation-flags/", views.flag_list, name="flags"),
    path("cases/<ref:reference>/reporter/link/", views.link_reporter, name="link_reporter"),
    path(
        "cases/<ref:reference>/retaliation-flags/<int:flag_id>/clear/",
        views.clear_flag,
        name="clear_flag",
    ),
    path(
        "cases/<ref:reference>/retaliation-flags/<int:flag_id>/retaliation-case/",
        views.open_retaliation_case,
        name="open_retaliation_case",
    ),
    path("cases/<ref:reference>/accountability-case/", views.open_accountability_case, name="accountability"),
]
