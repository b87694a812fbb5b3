from django.urls import path

from samverkan.followup import views

app_name = "followup"

urlpatterns = [
    path("", views.liability_overview, name="liability"),
    path("underlag/<str:code>/", views.statement, name="statement"),
    path("underlag/<str:code>/utfarda/", views.issue, name="issue"),
    path("utfardade/<int:pk>/", views.issued, name="issued"),
    path("utfardade/rad/<int:line_id>/bestrid/", views.dispute_new, name="dispute_new"),
    path("bestridanden/", views.disputes, name="disputes"),
    path("bestridanden/<int:pk>/", views.dispute, name="dispute"),
    path("bestridanden/<int:pk>/bilaga/", views.attachment, name="attachment"),
    path("overenskommelse/", views.agreement, name="agreement"),
    path("indikatorer/", views.indicator_report, name="indicators"),
]
