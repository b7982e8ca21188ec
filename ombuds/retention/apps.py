from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "ombuds.retention"
    label = "retention"
    verbose_name = "retention"

    def ready(self) -> None:
        # A legal hold's reason may say why litigation is expected and against whom: it is
        # sealed under the case's key like a handler's note (ombuds.cases.content).
        from ombuds.cases import content
        from ombuds.retention.models import Erasure, LegalHold

        content.register(LegalHold, content=["reason"], metadata=[])
        content.register(Erasure, content=[], metadata=[])
