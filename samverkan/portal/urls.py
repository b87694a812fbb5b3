from django.urls import path

from samverkan.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("tillganglighet/", views.accessibility, name="accessibility"),
]
