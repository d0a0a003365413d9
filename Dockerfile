# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap npm make && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt requirements-kernel.txt Makefile ./
RUN make install PYTHON=python3
ENV PATH="/app/.venv/bin:$PATH"
COPY . .
