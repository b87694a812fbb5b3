from django.urls import path

from samverkan.situation import views

app_name = "situation"

urlpatterns = [
    path("", views.home, name="home"),
    path("forbered/", views.prepare, name="prepare"),
    path("schema/", views.schedule, name="schedule"),
    path("<int:report_id>/", views.report_detail, name="detail"),
    path("<int:report_id>/kommentarer/", views.comment, name="comment"),
    path("<int:report_id>/publicera/", views.publish, name="publish"),
    path("<int:report_id>/ratta/", views.correct, name="correct"),
    path("<int:report_id>/kasta/", views.discard, name="discard"),
    path("<int:report_id>/data.<str:fmt>", views.export, name="export"),
    path("jamfor/", views.compare, name="compare"),
    path("offentlig/<str:county_code>/", views.public, name="public"),
    path("offentlig/<str:county_code>/<int:number>/", views.public, name="public_report"),
    path("offentlig/<str:county_code>/<int:number>/data.<str:fmt>", views.public_data, name="public_data"),
    path("prenumeranter/", views.subscriptions, name="subscriptions"),
    path("prenumeranter/<int:subscription_id>/avsluta/", views.subscription_remove, name="subscription_remove"),
    path("avprenumerera/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("epidemiologi/", views.epidemiology, name="epidemiology"),
    path("epidemiologi/fil/", views.epidemiology_file, name="epidemiology_file"),
    path("epidemiologi/indikatorer/", views.indicator_new, name="indicator_new"),
]
