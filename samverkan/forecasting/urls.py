from django.urls import path

from samverkan.forecasting import views

app_name = "forecasting"

urlpatterns = [
    path("", views.index, name="index"),
    path("kor/", views.run_now, name="run"),
    path("korning/<int:run_id>/status/", views.run_status, name="run_status"),
    path("scenarier/", views.scenario_list, name="scenarios"),
    path("scenarier/<int:scenario_id>/", views.scenario_detail, name="scenario"),
    path("scenarier/<int:scenario_id>/ta-bort/", views.scenario_delete, name="scenario_delete"),
]
