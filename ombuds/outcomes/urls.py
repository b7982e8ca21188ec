from django.urls import path

from ombuds.outcomes import views

app_name = "outcomes"

# Under /staff/; the `ref` converter is registered by ombuds.cases.urls.
urlpatterns = [
    path("cases/<ref:reference>/measures/", views.measures, name="measures"),
    path("cases/<ref:reference>/measures/<int:measure_id>/extend/", views.measure_extend, name="measure_extend"),
    path("cases/<ref:reference>/measures/<int:measure_id>/end/", views.measure_end, name="measure_end"),
    path("cases/<ref:reference>/outcomes/", views.outcomes, name="outcomes"),
    path("cases/<ref:reference>/outcomes/<int:outcome_id>/decide/", views.outcome_decide, name="outcome_decide"),
    path("cases/<ref:reference>/outcomes/<int:outcome_id>/withdraw/", views.outcome_withdraw, name="outcome_withdraw"),
    path("rehire/", views.rehire, name="rehire"),
    path("rehire/<str:check_reference>/", views.rehire_check, name="rehire_check"),
]
