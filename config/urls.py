from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from coursework.views.health import health_view, live_view, metrics_view
from coursework.views.student.accounts import LoginView

urlpatterns = [
    path("health/", health_view, name="health"),
    path("health/live/", live_view, name="health_live"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("ta/", include("coursework.urls.staff")),
    path("lti/", include("coursework.urls.lti")),
    path("", include("coursework.urls.student")),
]

if settings.SSO_ENABLED:  # off by default: no page of it exists until a provider is configured
    urlpatterns.append(path("accounts/sso/", include("coursework.urls.sso")))
