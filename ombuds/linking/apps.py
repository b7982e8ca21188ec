from django.apps import AppConfig


class LinkingConfig(AppConfig):
    name = "ombuds.linking"
    label = "linking"
    verbose_name = "linking"
