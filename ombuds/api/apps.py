from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ombuds.api"
    label = "api"
    verbose_name = "JSON API"
