from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ombuds.outcomes"
    label = "outcomes"
    verbose_name = "protective measures and outcomes"

    def ready(self) -> None:
        from ombuds.casefile import sections
        from ombuds.cases import ladder
        from ombuds.outcomes.ladder import MeasureReviews
        from ombuds.outcomes.outcome_view import casefile_context

        # Measure reviews climb the same ladder as the case's own deadlines.
        ladder.register(MeasureReviews())
        # Measures, decisions per accused and their approvals in the case file.
        sections.register("outcomes", 55, casefile_context, "outcomes/casefile.html")
