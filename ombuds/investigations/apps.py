from django.apps import AppConfig


class InvestigationsConfig(AppConfig):
    name = "ombuds.investigations"
    label = "investigations"
    verbose_name = "investigations"

    def ready(self) -> None:
        # The plan's tasks and the reviews of a deferred informing climb the escalation
        # ladder like the case's own deadlines (ombuds.cases.ladder).
        from ombuds.casefile import sections
        from ombuds.cases import ladder
        from ombuds.investigations import deadlines
        from ombuds.investigations.casefile import casefile_context

        ladder.register(deadlines.TaskDeadlines())
        ladder.register(deadlines.InformingReviews())
        # Allegations, findings, plan, interviews and the evidence register in the case file.
        sections.register("investigation", 45, casefile_context, "investigations/casefile.html")
