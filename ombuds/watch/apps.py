from django.apps import AppConfig


class WatchConfig(AppConfig):
    name = "ombuds.watch"
    label = "watch"
    verbose_name = "retaliation watch and accountability"

    def ready(self) -> None:
        from ombuds.casefile import sections
        from ombuds.cases import content
        from ombuds.directory import observers
        from ombuds.watch.casefile import casefile_context
        from ombuds.watch.models import LinkedCase, ReporterLink, RetaliationFlag
        from ombuds.watch.watcher import RetaliationWatch

        content.register(ReporterLink, content={"employee_id"}, metadata={"person_digest"})
        # Which change the import recorded, encrypted under the watch key until the flag is
        # decided (pending_change); the subject and state route the flag to oversight.
        content.register(RetaliationFlag, content={"change", "note"}, metadata={"subject", "state", "pending_change"})
        content.register(LinkedCase, content=set(), metadata={"kind"})
        observers.register(RetaliationWatch())
        sections.register("watch", 70, casefile_context, "watch/casefile.html")
