"""Pages for TAs, all under /ta/ (every view is staff_only: see views/staff/permissions.py)."""
from django.urls import path

from ..views.staff import (appeals, assignments, dashboard, extensions, gradebook, groups, notebooks, queues, reviews,
                           rubrics, similarity, students)

urlpatterns = [
    path("", dashboard.dashboard, name="ta_dashboard"),
    path("next/<str:queue>/", queues.next_item, name="ta_next"),
    path("synthesis/<int:pk>/", reviews.review_synthesis, name="ta_review_synthesis"),
    path("essays/<int:pk>/", reviews.review_essays, name="ta_review_essays"),
    path("reveal/<str:kind>/<int:pk>/", reviews.reveal_name, name="ta_reveal_name"),
    path("drafts/<str:kind>/<int:pk>/", reviews.review_draft, name="ta_review_draft"),
    path("notebooks/<int:pk>/", notebooks.notebook, name="ta_notebook"),
    path("notebooks/top/", notebooks.top_scores, name="ta_top_scores"),
    path("notebooks/regrade-failed/", notebooks.regrade_all_failed, name="ta_regrade_failed"),
    path("appeals/<int:pk>/", appeals.appeal, name="ta_appeal"),
    path("students/<int:pk>/", students.student_timeline, name="ta_student"),
    path("students/search/", extensions.student_search, name="ta_student_search"),
    path("rubrics/", rubrics.rubric_list, name="ta_rubrics"),
    path("rubrics/criteria/<int:pk>/", rubrics.criterion, name="ta_criterion"),
    path("rubrics/criteria/<int:pk>/move/", rubrics.criterion_move, name="ta_criterion_move"),
    path("rubrics/criteria/<int:pk>/remove/", rubrics.criterion_delete, name="ta_criterion_delete"),
    path("rubrics/<slug:slug>/", rubrics.rubric, name="ta_rubric"),
    path("rubrics/<slug:slug>/<slug:set_slug>/", rubrics.rubric, name="ta_rubric_set"),
    path("groups/", groups.group_list, name="ta_groups"),
    path("groups/none/", groups.unassigned, name="ta_unassigned"),
    path("groups/move/", groups.move_students, name="ta_group_move"),
    path("groups/<int:pk>/", groups.group_members, name="ta_group"),
    path("extensions/", extensions.extensions, name="ta_extensions"),
    path("extensions/<int:pk>/withdraw/", extensions.extension_withdraw, name="ta_extension_withdraw"),
    path("deadlines/<slug:slug>/", extensions.task_terms, name="ta_task_terms"),
    path("similarity/", similarity.similarity, name="ta_similarity"),
    path("similarity/solution/<int:a>/", similarity.similarity_solution, name="ta_similarity_solution"),
    path("similarity/<str:kind>/<int:a>/<int:b>/", similarity.similarity_pair, name="ta_similarity_pair"),
    path("assignments/<slug:slug>/reveal/", assignments.reveal_private, name="ta_reveal_private"),
    path("gradebook.csv", gradebook.gradebook_csv, name="ta_gradebook"),
    path("gradebook/<slug:slug>.csv", gradebook.gradebook_csv, name="ta_gradebook_task"),
]
