from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "ombuds.retention"
    label = "retention"
    verbose_name = "retention"

    def ready(self) -> None:
        # A legal hold's reason may say why litigation is expected and against whom: it is
        # sealed under the case's key like a handler's note (ombuds.cases.content).
        from ombuds.administration.nav import register
        from ombuds.cases import content
        from ombuds.retention.models import Erasure, LegalHold

        content.register(LegalHold, content=["reason"], metadata=[])
        content.register(Erasure, content=[], metadata=[])
        register(
            "retention:periods",
            _("Retention periods"),
            _("How long each category's closed cases are kept before their content is deleted."),
            order=45,
        )
