from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ombuds.accounts"
    label = "accounts"
    verbose_name = "staff accounts"
