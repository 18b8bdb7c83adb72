from django.urls import path

from .views import api_keys, audit, invitations, members, pages

app_name = "workspaces"

urlpatterns = [
    # /
    path("", pages.home, name="home"),
    # /workspaces/
    path("workspaces/new/", pages.workspace_create, name="create"),
    # /invitations/<token>/ (public: the link in the email)
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation-accept"),
    # /w/<slug>/
    path("w/<slug:slug>/", pages.overview, name="overview"),
    path("w/<slug:slug>/settings/", pages.workspace_settings, name="settings"),
    path("w/<slug:slug>/leave/", pages.workspace_leave, name="leave"),
    path("w/<slug:slug>/members/", members.member_list, name="members"),
    path(
        "w/<slug:slug>/members/<int:membership_id>/role/", members.member_role, name="member-role"
    ),
    path(
        "w/<slug:slug>/members/<int:membership_id>/remove/",
        members.member_remove,
        name="member-remove",
    ),
    path(
        "w/<slug:slug>/members/<int:membership_id>/transfer/",
        members.member_transfer,
        name="member-transfer",
    ),
    path("w/<slug:slug>/invitations/", invitations.invitation_list, name="invitations"),
    path(
        "w/<slug:slug>/invitations/<int:invitation_id>/resend/",
        invitations.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "w/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation-revoke",
    ),
    path("w/<slug:slug>/api-keys/", api_keys.api_key_list, name="api-keys"),
    path(
        "w/<slug:slug>/api-keys/<int:api_key_id>/revoke/",
        api_keys.api_key_revoke,
        name="api-key-revoke",
    ),
    path("w/<slug:slug>/audit/", audit.audit_log, name="audit"),
]
