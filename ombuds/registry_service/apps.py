from django.apps import AppConfig


class RegistryServiceConfig(AppConfig):
    name = "ombuds.registry_service"
    label = "registry_service"
    verbose_name = "Shared rehire registry"
