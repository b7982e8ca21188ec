from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "ombuds.policies"
    label = "policies"
    verbose_name = "policies, acknowledgements and training"

    def ready(self) -> None:
        from ombuds.administration.nav import register

        register(
            "policies_admin:index",
            _("Policies"),
            _("Write policies in each offered language, publish versions, send employees the link to acknowledge."),
            order=50,
        )
        register(
            "policies_admin:report",
            _("Acknowledgements"),
            _("Who in each unit has acknowledged the current policies and who has not; export as CSV."),
            order=55,
        )
        register(
            "policies_admin:training",
            _("Training records"),
            _("Import who attended which training session or course, and when."),
            order=60,
        )
