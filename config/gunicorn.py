"""How gunicorn serves the site: the one file every start reads (`gunicorn -c config/gunicorn.py`
in the Procfile, docker-compose.yml and tests/support/stack.py), so the benchmarks measure the
web that production runs. Command-line flags still override it (`--worker-class sync --threads 1`
is the web as it was before, for comparing).

gthread workers, not sync: an upload holds its worker for the whole request, part of it
waiting on the confined notebook check in another process (grader/confined.py). With sync
workers a burst of 50 uploads queued in the listen backlog ahead of every page, and each of
the 4 workers took them one at a time: pages waited 2.4-2.5 s at p95 while the burst was
answered (benchmarks/load.py). A gthread worker accepts connections in its main loop and
hands each to a thread, so a page that arrives during a burst runs beside the uploads rather
than behind them; it also keeps browsers' connections alive between requests (a sync worker
closes every one), which saves the web a TCP handshake per page.

Sizes follow gunicorn's documentation: workers in the 2-4 per core range (2 per core, the
pages-first rule of docs/operations.md, WEB_WORKERS) and threads per worker in the same
range (WEB_THREADS). Threads add concurrency for requests that wait (the confined check, the
database, the broker); for CPU they share their process's GIL, which is why there are still
several processes. The front in config/nginx stays the way to face slow clients: a thread
reading a slow request is held as a sync worker was, there are only more of them.
"""
import os

# Read here rather than with config.env: gunicorn loads this file before Django's settings.
workers = int(os.environ.get("WEB_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Above any page's time; uploads are read whole by the front before they reach the web.
timeout = 60
# Browsers reuse their connection for the next page a few seconds later.
keepalive = 5


def post_worker_init(worker):
    """Start the confined parser server now, while this worker has one thread: its start
    empties os.environ for a moment (grader/confined.py), which another request's thread
    must not see. Later it starts again only if it was killed."""
    from grader import confined

    confined.start_server()
