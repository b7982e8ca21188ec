from django.urls import path

from ombuds.policies import views

app_name = "policies"

urlpatterns = [
    path("policies/", views.policy_list, name="list"),
    path("policies/<slug:slug>/", views.policy_detail, name="policy"),
    path("policies/<slug:slug>/versions/<int:number>/", views.policy_version, name="version"),
    path("acknowledge/<str:token>/", views.acknowledge, name="acknowledge"),
]
