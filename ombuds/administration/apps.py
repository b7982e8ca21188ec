from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdministrationConfig(AppConfig):
    name = "ombuds.administration"
    label = "administration"
    verbose_name = "administration pages"

    def ready(self) -> None:
        from ombuds.administration import nav
        from ombuds.administration.import_notice import OversightNotice
        from ombuds.directory import observers

        observers.listen(OversightNotice())

        nav.register(
            "administration:staff",
            _("Staff accounts"),
            _("Invite staff, change roles, deactivate accounts, reset a lost second factor, revoke tokens."),
            order=10,
        )
        nav.register(
            "administration:directory",
            _("Directory"),
            _("Upload the organisation's directory, check it, then import it; see staff who are not in it."),
            order=20,
        )
        nav.register(
            "administration:organisation",
            _("Organisation"),
            _(
                "Name, oversight body, deadlines, time zone, languages, the directory search on the report form, "
                "what a reporter is told of the outcome."
            ),
            order=30,
        )
        nav.register(
            "administration:pools",
            _("Pools"),
            _("Which handlers receive each category's new cases."),
            order=40,
        )
