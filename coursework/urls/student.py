"""Pages for students and visitors."""
from django.urls import path

from ..views.student import (accounts, appeals, content, essays, hand_in, inbox, leaderboard, notebooks,
                             playground, progress, synthesis)

urlpatterns = [
    path("", content.overview, name="home"),
    path("unit/<slug:slug>/", content.page_detail, name="page"),
    path("synthesis/<slug:slug>/", synthesis.question_set, name="question_set"),
    path("synthesis/<slug:slug>/autosave/", synthesis.autosave, name="synthesis_autosave"),
    path("essays/", essays.essays_page, name="essays"),
    path("essays/preview/", essays.preview, name="essay_preview"),
    path("essays/count/", essays.count_upload, name="essay_count"),
    path("essays/draft/", essays.save_draft, name="essay_draft"),
    path("signup/", accounts.signup, name="signup"),
    path("api/assignments/<slug:slug>/notebooks/", hand_in.hand_in, name="api_hand_in"),
    path("profile/", accounts.profile, name="profile"),
    path("progress/", progress.progress, name="progress"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:pk>/", inbox.open_notification, name="inbox_open"),
    path("appeals/<str:kind>/<int:pk>/", appeals.appeal, name="appeal_create"),
    path("appeals/<str:kind>/<int:pk>/draft/", appeals.save_draft, name="appeal_draft"),
    path("assignments/<slug:slug>/", notebooks.assignment_detail, name="assignment_detail"),
    path("assignments/<slug:slug>/template.ipynb", notebooks.template_notebook, name="template_notebook"),
    path("assignments/<slug:slug>/solution.ipynb", notebooks.solution_notebook, name="solution_notebook"),
    path("submissions/<int:pk>/", notebooks.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/final/", notebooks.final_upload, name="final_upload"),
    path("submissions/<int:pk>/status/", notebooks.submission_status, name="submission_status"),
    path("submissions/<int:pk>/notebook/", notebooks.submission_notebook, name="submission_notebook"),
    path("submissions/<int:pk>/figures/<slug:name>.png", notebooks.submission_figure, name="submission_figure"),
    path("leaderboard/", leaderboard.leaderboard_page, name="leaderboard"),
    path("leaderboard/rows/", leaderboard.leaderboard_rows, name="leaderboard_rows"),
    path("playground/", playground.playground, name="playground"),
    path("playground/predict/", playground.predict, name="playground_predict"),
]
