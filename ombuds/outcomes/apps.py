from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ombuds.outcomes"
    label = "outcomes"
    verbose_name = "protective measures and outcomes"

    def ready(self) -> None:
        from ombuds.cases import ladder
        from ombuds.outcomes.ladder import MeasureReviews

        # Measure reviews climb the same ladder as the case's own deadlines.
        ladder.register(MeasureReviews())
