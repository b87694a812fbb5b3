from django.urls import path

from samverkan.capacity import views

app_name = "capacity"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("export.csv", views.overview_export, {"fmt": "csv"}, name="export_csv"),
    path("export.xlsx", views.overview_export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("enheter/<int:unit_id>/", views.unit_page, name="unit"),
    path("enheter/<int:unit_id>/rapportera/", views.report, name="report"),
    path("enheter/<int:unit_id>/planerat/", views.planned_change_add, name="planned_change_add"),
    path("planerat/<int:change_id>/avbryt/", views.planned_change_cancel, name="planned_change_cancel"),
    path("rapportering/", views.completeness, name="completeness"),
    path("rapportering/paminnelser/", views.send_reminders, name="send_reminders"),
    path("rapportering/schema/<str:county_code>/", views.schedule_edit, name="schedule"),
]
