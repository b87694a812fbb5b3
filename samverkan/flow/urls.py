from django.urls import path

from samverkan.flow import views

app_name = "flow"

urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("import/", views.upload, name="upload"),
    path("import/<int:run_id>/", views.import_detail, name="import_detail"),
    path("vardtillfallen/", views.episodes, name="episodes"),
]
