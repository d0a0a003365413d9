"""Pages for TAs, all under /ta/ (every view is staff_only: see views/staff/permissions.py)."""
from django.urls import path

from ..views.staff import assignments, dashboard, gradebook, notebooks, reviews, similarity, students

urlpatterns = [
    path("", dashboard.dashboard, name="ta_dashboard"),
    path("synthesis/<int:pk>/", reviews.review_synthesis, name="ta_review_synthesis"),
    path("essays/<int:pk>/", reviews.review_essays, name="ta_review_essays"),
    path("notebooks/<int:pk>/", notebooks.notebook, name="ta_notebook"),
    path("notebooks/regrade-failed/", notebooks.regrade_all_failed, name="ta_regrade_failed"),
    path("students/<int:pk>/", students.student_timeline, name="ta_student"),
    path("similarity/", similarity.similarity, name="ta_similarity"),
    path("similarity/<str:kind>/<int:a>/<int:b>/", similarity.similarity_pair, name="ta_similarity_pair"),
    path("assignments/<slug:slug>/reveal/", assignments.reveal_private, name="ta_reveal_private"),
    path("gradebook.csv", gradebook.gradebook_csv, name="ta_gradebook"),
    path("gradebook/<slug:slug>.csv", gradebook.gradebook_csv, name="ta_gradebook_task"),
]
