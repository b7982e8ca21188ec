from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ombuds.analytics"
    label = "analytics"
