from django.urls import path

from ombuds.casefile import views

# Importing the case URLs registers the <ref:...> converter.
from ombuds.cases import urls as _case_urls  # noqa: F401

app_name = "casefile"

urlpatterns = [
    path("cases/<ref:reference>/case-file.pdf", views.case_file, name="pdf"),
]
