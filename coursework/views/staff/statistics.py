"""How the reviews were given, per criterion and per TA (coursework.services.review_stats)."""
from django.shortcuts import render

from ...services import review_stats
from .permissions import staff_only


@staff_only
def review_statistics(request):
    criteria, graders = review_stats.summary()
    return render(request, "staff/statistics.html", {"criteria": criteria, "graders": graders,
                                                     "notable_z": review_stats.NOTABLE_Z,
                                                     "material": round(100 * review_stats.MATERIAL_SHARE)})
