from django.urls import path

from samverkan.meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.index, name="index"),
    path("beslut/", views.decisions, name="decisions"),
    path("forum/ny/", views.forum_new, name="forum_new"),
    path("forum/<int:forum_id>/", views.forum, name="forum"),
    path("forum/<int:forum_id>/andra/", views.forum_edit, name="forum_edit"),
    path("forum/<int:forum_id>/ledamoter/", views.forum_person_add, name="forum_person_add"),
    path(
        "forum/<int:forum_id>/ledamoter/<int:person_id>/ta-bort/",
        views.forum_person_remove,
        name="forum_person_remove",
    ),
    path("forum/<int:forum_id>/nytt-mote/", views.meeting_new, name="meeting_new"),
    path("forum/<int:forum_id>/uppdrag/", views.board, name="board"),
    path("<int:meeting_id>/", views.meeting, name="meeting"),
    path("<int:meeting_id>/andra/", views.meeting_edit, name="meeting_edit"),
    path("<int:meeting_id>/punkter/", views.item_add, name="item_add"),
    path("<int:meeting_id>/narvaro/", views.attendance, name="attendance"),
    path("<int:meeting_id>/protokoll.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("<int:meeting_id>/protokoll.docx", views.minutes_docx, name="minutes_docx"),
    path("<int:meeting_id>/protokoll/<str:action>/", views.minutes_action, name="minutes_action"),
    path("punkter/<int:item_id>/", views.item, name="item"),
    path("punkter/<int:item_id>/beslut/", views.decision_add, name="decision_add"),
    path("punkter/<int:item_id>/dokument/", views.document_add, name="document_add"),
    path("punkter/<int:item_id>/uppdrag/", views.assignment_add, name="assignment_add"),
    path("uppdrag/<int:assignment_id>/", views.assignment, name="assignment"),
    path("statusfragor/", views.trackers, name="trackers"),
    path("statusfragor/<int:tracker_id>/", views.tracker, name="tracker"),
    path("statusfragor/<int:tracker_id>/paminn/", views.tracker_remind, name="tracker_remind"),
    path("statusfragor/<int:tracker_id>/svar.csv", views.tracker_export, name="tracker_export"),
    path("forum/<int:forum_id>/kostnader/", views.costs, name="costs"),
    path("kostnader/<int:cost_id>/", views.cost, name="cost"),
    path("kostnader/<int:cost_id>/fordelning.<str:file_format>", views.cost_export, name="cost_export"),
    path("forum/<int:forum_id>/medel/", views.funding_rounds, name="funding_rounds"),
    path("medel/<int:round_id>/", views.funding_round, name="funding_round"),
    path("medel/<int:round_id>/ansokningar.xlsx", views.funding_export, name="funding_export"),
    path("ansokningar/<int:application_id>/beslut/", views.application_decide, name="application_decide"),
]
