from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ombuds.audit"
    label = "audit"
    verbose_name = "audit trail"
