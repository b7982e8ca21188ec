from django.apps import AppConfig


class LinkingConfig(AppConfig):
    name = "ombuds.linking"
    label = "linking"
    verbose_name = "linking"

    def ready(self) -> None:
        # Registers the deployment check of the match key file.
        from ombuds.linking import checks  # noqa: F401
