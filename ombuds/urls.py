from django.urls import include, path

from ombuds.api.v1 import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("ombuds.intake.urls")),
]
