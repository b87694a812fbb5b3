from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "samverkan.demo"
    verbose_name = "Demo data"
