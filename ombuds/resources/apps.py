from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "ombuds.resources"
    label = "resources"
    verbose_name = "support resources"
