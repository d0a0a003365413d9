"""The pages a student checks on a phone, at 390 px: nothing scrolls sideways, the leaderboard
reads with one day of data, the feedback's pictures keep readable labels. Screenshots at
1280 and 390 px go to var/screenshots/ (to be looked at, not compared)."""
import re

import pytest

from tests.support.browser import browser_page, log_in, screenshot, wait_until_done
from tests.support.notebooks import nearest_mean_notebook
from tests.support.stack import Browser

pytestmark = pytest.mark.stack

LONG_NAME = "my_mnist_notebook_with_a_very_long_name_that_a_student_really_might_upload_final_v3.ipynb"
ALIAS = "an-alias-of-forty-characters-no-spaces-x"
# Classmates graded yesterday and today, so that the table shows places gained and lost.
CLASSMATES = r"""
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from coursework.models import Profile, Submission
from tests.factories import make_submission
now = timezone.now()
for i, (alias, accuracy, days_ago) in enumerate([("%s", 0.83, 1), ("bobcat", 0.80, 1), ("bobcat", 0.84, 0)]):
    user, _ = User.objects.get_or_create(username=alias)
    Profile.objects.get_or_create(user=user, defaults={"display_name": alias, "leaderboard_alias": alias})
    s = make_submission(user, status="graded", accuracy=accuracy, public_accuracy=accuracy, private_accuracy=accuracy)
    moment = now - timedelta(days=days_ago, minutes=5)
    Submission.objects.filter(pk=s.pk).update(created_at=moment, finished_at=moment)
""" % ALIAS


def no_sideways_scroll(page, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{page.url} is {overflow}px wide at {width}px"
    tables = page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
        .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.getAttribute('aria-label')
                                                                  || el.getAttribute('aria-labelledby'))""")
    assert not tables, f"{page.url}: these tables scroll sideways at {width}px: {tables}"


def test_a_student_reads_the_leaderboard_and_the_feedback_on_a_phone(own_stack):
    # A stack of its own: the leaderboard is site-wide, and its places and chart count every student.
    stack = own_stack
    stack.manage("shell", "-c", CLASSMATES)
    http = Browser(stack)
    http.login("student", "student-demo-pass")
    response = http.upload("mnist", LONG_NAME, nearest_mean_notebook())
    submission = int(re.search(r"/submissions/(\d+)/$", response.url).group(1))
    wait_until_done(stack, [submission])

    pages = {"leaderboard": "/leaderboard/", "assignment": "/assignments/mnist/",
             "feedback": f"/submissions/{submission}/", "synthesis": "/synthesis/archive-gradient-descent/"}
    for width, height in ((1280, 900), (390, 844)):
        with browser_page(viewport=(width, height)) as page:
            log_in(page, stack.base_url, "student", "student-demo-pass")
            for name, path in pages.items():
                page.goto(stack.base_url + path)
                screenshot(page, f"phone-{name}-{width}")
                no_sideways_scroll(page, width)

            page.goto(stack.base_url + "/leaderboard/")
            ranks = page.inner_text("table.leaderboard tbody")
            assert "new" in ranks  # the student's first grade, today
            assert re.search(r"bobcat", ranks) and "up" in page.inner_html("table.leaderboard")  # bobcat passed ALIAS
            assert page.locator("svg.chart circle").count() == 2  # yesterday and today
            label_px = page.evaluate("Math.min(...[...document.querySelectorAll('svg.chart text')]"
                                     ".map(t => t.getBoundingClientRect().height))")
            assert label_px >= 10, f"chart labels are {label_px:.1f}px tall at {width}px"

            page.goto(stack.base_url + f"/submissions/{submission}/")
            smallest = page.evaluate("Math.min(...[...document.querySelectorAll('table.confusion td, ul.gallery span')]"
                                     ".map(el => parseFloat(getComputedStyle(el).fontSize)))")
            assert smallest >= 11, f"feedback labels are {smallest}px at {width}px"
            assert page.locator("ul.gallery img").count() > 0


# The whole test set revealed, and the widest matrix a run can give: four digits in every cell
# (no digit has more than 1,135 test images).
REVEAL = """
from coursework.models import Assignment, Profile, Submission
Assignment.objects.filter(slug='mnist').update(private_revealed=True)
s = Submission.objects.get(pk=%d)
s.feedback['confusion'] = [[1135 - 10 * p for p in range(10)] for t in range(10)]
s.save(update_fields=['feedback'])
# Names with no space to break at, as some students choose.
Profile.objects.filter(user__username='student').update(display_name='Maximiliana_Wolkenstein-Oberhausen')
Profile.objects.filter(user__username='bob').update(display_name='Bartholomew_Featherstonehaugh-Smythe')
"""


def test_the_revealed_confusion_table_and_the_similarity_page_fit_a_phone(own_stack):
    # A stack of its own: it reveals the notebook task's private half, for everyone.
    stack = own_stack
    [graded] = stack.submit(1, nearest_mean_notebook())
    stack.manage("shell", "-c", "from tests.support.showcase import populate; populate()")  # bob's essays: a pair
    wait_until_done(stack, [graded])
    stack.manage("shell", "-c", REVEAL % graded)
    with browser_page(viewport=(390, 844)) as page:
        log_in(page, stack.base_url, "student", "student-demo-pass")
        page.goto(stack.base_url + f"/submissions/{graded}/")
        assert page.locator("table.confusion").count() == 1
        screenshot(page, "phone-feedback-revealed-390")
        no_sideways_scroll(page, 390)
    with browser_page(viewport=(390, 844)) as page:
        log_in(page, stack.base_url, "ta", "ta-demo-pass")
        page.goto(stack.base_url + "/ta/similarity/")
        assert "side by side" in page.inner_text("main")
        screenshot(page, "phone-similarity-390")
        no_sideways_scroll(page, 390)
