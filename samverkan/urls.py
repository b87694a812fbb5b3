from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from samverkan.api import api

urlpatterns = [
    path("", include("samverkan.portal.urls")),
    path("konto/", include("samverkan.accounts.urls")),
    path("organisationer/", include("samverkan.organisations.urls")),
    path("granskning/", include("samverkan.review.urls")),
    path("kapacitet/", include("samverkan.capacity.urls")),
    path("platser/", include("samverkan.placements.urls")),
    path("flode/", include("samverkan.flow.urls")),
    path("resurser/", include("samverkan.resources.urls")),
    path("lagesbild/", include("samverkan.situation.urls")),
    path("moten/", include("samverkan.meetings.urls")),
    path("uppfoljning/", include("samverkan.followup.urls")),
    path("prognoser/", include("samverkan.forecasting.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path(f"{settings.ADMIN_PATH}/", admin.site.urls),
]

handler400 = "samverkan.errors.error_400"
handler403 = "samverkan.errors.error_403"
handler404 = "samverkan.errors.error_404"
handler500 = "samverkan.errors.error_500"
