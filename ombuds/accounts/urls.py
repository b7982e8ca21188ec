"""Placed before allauth's URLs under /staff/accounts/: the same paths resolve here first."""

from django.urls import path, re_path

from ombuds.accounts import views

app_name = "accounts"

urlpatterns = [
    path("enrol/<str:secret>/", views.enrol, name="enrol"),
    path("invitation/<str:secret>/", views.accept_invitation, name="accept_invitation"),
    path("2fa/totp/activate/", views.activate_totp, name="activate_totp"),
    path("2fa/webauthn/add/", views.add_webauthn, name="add_webauthn"),
    # A staff account's e-mail address is changed by an administrator, through the directory.
    path("email/", views.no_such_page, name="no_email"),
    re_path(r"^confirm-email/", views.no_such_page, name="no_email_confirmation"),
]
