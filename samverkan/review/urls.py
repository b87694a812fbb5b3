from django.urls import path

from samverkan.review import views

app_name = "review"

urlpatterns = [path("", views.review, name="review")]
