from django.urls import path

from samverkan.placements import views

app_name = "placements"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("ny/", views.request_new, name="new"),
    path("<int:request_id>/", views.request_detail, name="detail"),
    path("<int:request_id>/erbjud/", views.offer_create, name="offer"),
    path("<int:request_id>/<str:action>/", views.request_action, name="action"),
    path("erbjudanden/<int:offer_id>/<str:answer>/", views.offer_answer, name="offer_answer"),
    path("lediga/", views.free_places, name="free"),
    path("avrakning/", views.settlement, name="settlement"),
    path("beredskap/", views.escalation_page, name="escalation"),
]
