"""The administration pages, under /staff/admin/ (ombuds/urls.py)."""

from django.urls import path

from ombuds.administration.views import directory, organisation, staff

app_name = "administration"

urlpatterns = [
    path("", staff.home, name="home"),
    path("staff/", staff.staff_list, name="staff"),
    path("staff/invite/", staff.invite, name="invite"),
    path("staff/link/", staff.link_by_email, name="link_by_email"),
    path("staff/<int:user_id>/", staff.account, name="account"),
    path("staff/<int:user_id>/roles/", staff.change_roles, name="roles"),
    path("staff/<int:user_id>/deactivate/", staff.deactivate, name="deactivate"),
    path("staff/<int:user_id>/reactivate/", staff.reactivate, name="reactivate"),
    path("staff/<int:user_id>/second-factor/", staff.reset_second_factor, name="reset_second_factor"),
    path("staff/<int:user_id>/tokens/revoke/", staff.revoke_tokens, name="revoke_tokens"),
    path("staff/<int:user_id>/invitation/", staff.resend_invitation, name="resend_invitation"),
    path("directory/", directory.directory_page, name="directory"),
    path("directory/upload/", directory.upload, name="upload_directory"),
    path("directory/uploads/<int:upload_id>/", directory.upload_detail, name="upload"),
    path("directory/uploads/<int:upload_id>/confirm/", directory.confirm, name="confirm_upload"),
    path("directory/uploads/<int:upload_id>/discard/", directory.discard, name="discard_upload"),
    path("organisation/", organisation.organisation, name="organisation"),
    path("pools/", organisation.pools, name="pools"),
]
