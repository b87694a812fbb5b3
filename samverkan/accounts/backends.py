from django.contrib.auth.backends import BaseBackend

from samverkan.organisations import policy


class AdminRoleBackend(BaseBackend):
    """Gives the admin role every model permission on the admin pages; authenticates no one."""

    def has_perm(self, user_obj, perm, obj=None):
        return user_obj.is_active and policy.can(user_obj, "organisations.use_admin_site")

    def has_module_perms(self, user_obj, app_label):
        return self.has_perm(user_obj, app_label)


def lockout_username(request, credentials) -> str:
    """The e-mail address a login attempt is for, as django-axes counts failures per address and IP."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()
