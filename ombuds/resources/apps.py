from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "ombuds.resources"
    label = "resources"
    verbose_name = "support resources"

    def ready(self) -> None:
        from ombuds.administration.nav import register

        register(
            "resources_admin:index",
            _("Support resources"),
            _("The support page reporters see: correct or hide the shipped entries, add the organisation's own."),
            order=70,
        )
