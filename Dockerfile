# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap npm make && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt requirements-kernel.txt requirements-kernel-pytorch.txt Makefile ./
# Both kernel environments: numpy, and pytorch (the CPU build of torch, about 1 GB).
RUN make install install-pytorch PYTHON=python3
ENV PATH="/app/.venv/bin:$PATH"
COPY . .
