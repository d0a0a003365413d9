from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("assignments/<slug:slug>/", views.assignment_detail, name="assignment_detail"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/status/", views.submission_status, name="submission_status"),
]
