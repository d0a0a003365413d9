# Idle BLAS threads that sleep soon instead of spinning a core for a tenth of a second after
# every matrix product (reference_nn/parallel.py says why); OpenBLAS reads it when NumPy loads
# it, so before anything of the site imports NumPy.
from reference_nn.parallel import quiet_blas_threads

quiet_blas_threads()

# Load Celery with Django so that @shared_task binds to this project's app.
from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
