"""Study groups: who leads each, who is in it, moving students, and those in no group."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ...models import StudyGroup
from ...services import groups
from .permissions import staff_only


@staff_only
def group_list(request):
    return render(request, "staff/groups.html", {"groups": groups.overview(),
                                                 "unassigned": groups.unassigned().count()})


def _members_page(request, title: str, students, group=None):
    page = Paginator(students, 100).get_page(request.GET.get("page"))
    return render(request, "staff/group_members.html", {"title": title, "page": page, "group": group,
                                                        "groups": StudyGroup.objects.all()})


@staff_only
def group_members(request, pk):
    group = get_object_or_404(StudyGroup.objects.select_related("ta"), pk=pk)
    return _members_page(request, f"{group.name}", groups.members(group), group)


@staff_only
def unassigned(request):
    return _members_page(request, "Students in no group", groups.unassigned())


@staff_only
@require_POST
def move_students(request):
    raw = request.POST.get("group", "")
    target = None if raw == "none" else StudyGroup.objects.filter(pk=raw).first() if raw.isdigit() else False
    back = request.POST.get("back", "")
    back = back if back.startswith("/ta/") and "//" not in back else None
    if target is False:
        messages.error(request, "Choose the group to move them to.")
        return redirect(back or "ta_groups")
    try:
        moved = groups.move(request.user, [s for s in request.POST.getlist("student") if s.isdigit()], target)
    except groups.GroupRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Moved {moved} student{'s' if moved != 1 else ''} to "
                                  f"{target.name if target else 'no group'}.")
    return redirect(back or "ta_groups")
