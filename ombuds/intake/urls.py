from django.urls import path

from ombuds.intake import proof_views, views

app_name = "intake"

urlpatterns = [
    path("", views.start, name="start"),
    path("report/", views.report, name="report"),
    path("report/saved/", views.receipt_saved, name="receipt_saved"),
    path("return/", views.return_, name="return"),
    path("status/", views.status, name="status"),
    path("status/message/", views.send_message, name="message"),
    path("status/appeal/", views.appeal, name="appeal"),
    path("status/escrow/release/", views.release_held, name="release_held"),
    path("status/escrow/withdraw/", views.withdraw_held, name="withdraw_held"),
    path("status/proof/", proof_views.printable, name="proof"),
    path("status/proof/download/", proof_views.download, name="proof_download"),
    path("status/minutes/", views.answer_minutes, name="answer_minutes"),
    path("leave/", views.leave, name="leave"),
    path("exit/", views.quick_exit, name="quick_exit"),
]
