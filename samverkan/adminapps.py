from django.contrib.admin.apps import AdminConfig


class SamverkanAdminConfig(AdminConfig):
    """Django's admin app with Samverkan's admin site (see samverkan/adminsite.py)."""

    default_site = "samverkan.adminsite.SamverkanAdminSite"
