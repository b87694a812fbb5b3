from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from samverkan.api import api

admin.site.site_header = _("Samverkan administration")
admin.site.site_title = "Samverkan"


def _admin_login(request, extra_context=None):
    """The admin pages log in through Samverkan's own login, with its second factor."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.get_full_path(), reverse("accounts:login"))


admin.site.login = _admin_login

urlpatterns = [
    path("", include("samverkan.portal.urls")),
    path("konto/", include("samverkan.accounts.urls")),
    path("organisationer/", include("samverkan.organisations.urls")),
    path("granskning/", include("samverkan.audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path(f"{settings.ADMIN_PATH}/", admin.site.urls),
]

handler403 = "samverkan.portal.views.error_403"
handler404 = "samverkan.portal.views.error_404"
handler500 = "samverkan.portal.views.error_500"
