from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionnaireConfig(AppConfig):
    name = "ombuds.questionnaire"
    label = "questionnaire"
    verbose_name = "questionnaire"

    def ready(self) -> None:
        from ombuds.administration.nav import register

        register(
            "questionnaire:index",
            _("Questionnaire"),
            _("The extra questions asked per kind of behaviour: change a draft, preview it, publish a new version."),
            order=80,
        )
