from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "ombuds.policies"
    label = "policies"
    verbose_name = "policies, acknowledgements and training"
