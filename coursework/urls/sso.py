"""Single sign-on, under /accounts/sso/ (included only when OIDC_OP_ISSUER is set)."""
from django.urls import path

from ..views import sso

urlpatterns = [
    path("start/", sso.start, name="sso_start"),
    path("link/", sso.start_link, name="sso_link"),
    path("callback/", sso.callback, name="sso_callback"),
    path("join/", sso.join, name="sso_join"),
    path("group/", sso.choose_group, name="sso_group"),
]
