from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ombuds.analytics"
    label = "analytics"

    def ready(self) -> None:
        # The stored monthly totals follow every change of the cases they count.
        from ombuds.analytics import stored

        stored.connect()
