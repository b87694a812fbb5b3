from django.urls import path

from samverkan.flow import views

app_name = "flow"

urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("statistik.csv", views.statistics_export, {"fmt": "csv"}, name="statistics_csv"),
    path("statistik.xlsx", views.statistics_export, {"fmt": "xlsx"}, name="statistics_xlsx"),
    path("import/", views.upload, name="upload"),
    path("import/<int:run_id>/", views.import_detail, name="import_detail"),
    path("import/<int:run_id>/status/", views.import_status, name="import_status"),
    path("import/<int:run_id>/kolumner/", views.import_mapping, name="import_mapping"),
    path("import/kolumnlayouter/<int:layout_id>/", views.import_layout_edit, name="import_layout_edit"),
    path("vardtillfallen/", views.episodes, name="episodes"),
]
