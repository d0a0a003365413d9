"""LTI 1.3 endpoints, under /lti/ (docs/operations.md, "Registering the tool in an LMS")."""
from django.urls import path

from ..views import lti

urlpatterns = [
    path("jwks/", lti.jwks, name="lti_jwks"),
    path("login/", lti.oidc_login, name="lti_login"),
    path("launch/", lti.launch, name="lti_launch"),
    path("deep-link/", lti.deep_link, name="lti_deep_link"),
]
