from django.urls import path

from ombuds.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.start, name="start"),
    path("report/", views.report, name="report"),
    path("report/saved/", views.receipt_saved, name="receipt_saved"),
    path("return/", views.return_, name="return"),
    path("status/", views.status, name="status"),
    path("status/message/", views.send_message, name="message"),
    path("status/appeal/", views.appeal, name="appeal"),
    path("leave/", views.leave, name="leave"),
    path("exit/", views.quick_exit, name="quick_exit"),
]
