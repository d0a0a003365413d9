from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("assignments/<slug:slug>/", views.assignment_detail, name="assignment_detail"),
    path("assignments/<slug:slug>/template.ipynb", views.template_notebook, name="template_notebook"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/status/", views.submission_status, name="submission_status"),
    path("submissions/<int:pk>/notebook/", views.submission_notebook, name="submission_notebook"),
    path("submissions/<int:pk>/figures/<slug:name>.png", views.submission_figure, name="submission_figure"),
]
