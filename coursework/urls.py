from django.urls import path

from .views import accounts, content, essays, leaderboard, notebooks, staff, synthesis

urlpatterns = [
    path("", content.overview, name="home"),
    path("unit/<slug:slug>/", content.page_detail, name="page"),
    path("synthesis/<slug:slug>/", synthesis.question_set, name="question_set"),
    path("synthesis/<slug:slug>/autosave/", synthesis.autosave, name="synthesis_autosave"),
    path("essays/", essays.essays_page, name="essays"),
    path("essays/preview/", essays.preview, name="essay_preview"),
    path("signup/", accounts.signup, name="signup"),
    path("profile/", accounts.profile, name="profile"),
    path("assignments/<slug:slug>/", notebooks.assignment_detail, name="assignment_detail"),
    path("assignments/<slug:slug>/template.ipynb", notebooks.template_notebook, name="template_notebook"),
    path("submissions/<int:pk>/", notebooks.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/status/", notebooks.submission_status, name="submission_status"),
    path("submissions/<int:pk>/notebook/", notebooks.submission_notebook, name="submission_notebook"),
    path("submissions/<int:pk>/figures/<slug:name>.png", notebooks.submission_figure, name="submission_figure"),
    path("leaderboard/", leaderboard.leaderboard_page, name="leaderboard"),
    path("leaderboard/rows/", leaderboard.leaderboard_rows, name="leaderboard_rows"),
    path("ta/", staff.dashboard, name="ta_dashboard"),
    path("ta/synthesis/<int:pk>/", staff.review_synthesis, name="ta_review_synthesis"),
    path("ta/essays/<int:pk>/", staff.review_essays, name="ta_review_essays"),
    path("ta/notebooks/<int:pk>/", staff.notebook, name="ta_notebook"),
    path("ta/notebooks/regrade-failed/", staff.regrade_all_failed, name="ta_regrade_failed"),
    path("ta/students/<int:pk>/", staff.student_timeline, name="ta_student"),
    path("ta/similarity/", staff.similarity, name="ta_similarity"),
    path("ta/similarity/<str:kind>/<int:a>/<int:b>/", staff.similarity_pair, name="ta_similarity_pair"),
    path("ta/assignments/<slug:slug>/reveal/", staff.reveal_private, name="ta_reveal_private"),
    path("ta/gradebook.csv", staff.gradebook_csv, name="ta_gradebook"),
    path("ta/gradebook/<slug:slug>.csv", staff.gradebook_csv, name="ta_gradebook_task"),
]
