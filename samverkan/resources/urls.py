from django.urls import path

from samverkan.resources import views

app_name = "resources"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("typer/", views.type_list, name="types"),
    path("utrustning/", views.item_list, name="items"),
    path("utrustning/ny/", views.item_new, name="item_new"),
    path("utrustning/<int:item_id>/", views.item_detail, name="item"),
    path("lan/", views.loan_list, name="loans"),
    path("lan/ny/", views.loan_new, name="loan_new"),
    path("lan/<int:request_id>/", views.loan_detail, name="loan"),
    path("lan/<int:request_id>/<str:action>/", views.loan_action, name="loan_action"),
    path("lan/retur/<int:loan_id>/", views.loan_return, name="loan_return"),
    path("forrad/", views.stock_overview, name="stock"),
    path("forrad/rapport/", views.stock_report, name="stock_report"),
    path("forrad/uppladdning/", views.stock_upload, name="stock_upload"),
    path("forrad/installningar/", views.stock_settings, name="stock_settings"),
    path("personal/", views.staff_list, name="staff"),
    path("personal/ny/", views.staff_new, name="staff_new"),
    path("personal/utlanad/", views.staff_lent, name="staff_lent"),
    path("personal/<int:request_id>/", views.staff_detail, name="staff_detail"),
    path("personal/<int:request_id>/<str:action>/", views.staff_action, name="staff_action"),
]
