from django.apps import AppConfig


class CasefileConfig(AppConfig):
    name = "ombuds.casefile"
    label = "casefile"
    verbose_name = "case file"

    def ready(self) -> None:
        from ombuds.casefile import core

        core.register_sections()
