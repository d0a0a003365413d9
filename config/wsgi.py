import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Every web process keeps off the cores reserved for grading (grader/cores.py): pages keep
# their weight on the cores they run on, and grading keeps a floor on the others.
from grader.cores import pin_web  # noqa: E402  (needs the settings loaded above)

pin_web()
