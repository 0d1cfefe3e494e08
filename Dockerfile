# Bocage's image: the wheel built in a first stage, installed (with its dependencies, no test
# or development extras) in a slim runtime stage that runs as an unprivileged user.
#   docker build -t bocage .
#   docker run --env-file bocage.env -p 8000:8000 bocage
# See docs/deploy.md: secrets come from the environment, never from the image.

# -- stage 1: build the wheels of Bocage and of its dependencies ---------------------------------
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY core ./core
COPY plugins ./plugins
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# -- stage 2: the runtime ---------------------------------------------------------------------
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BOCAGE_ENVIRONMENT=production
# pg_dump/pg_restore for `bocage backup` (Debian 12's client is PostgreSQL 15: it dumps
# servers up to 15; use the PGDG packages for a newer server).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --create-home --home-dir /srv/bocage bocage
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels bocage \
    && rm -rf /wheels
WORKDIR /srv/bocage
USER bocage
EXPOSE 8000
# /readyz: the process answers, the database is reachable and at the code's revisions.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
# uvicorn stops on SIGTERM: no new connections, requests in flight finish
# (BOCAGE_SHUTDOWN_TIMEOUT_SECONDS); give it longer than that before SIGKILL.
STOPSIGNAL SIGTERM
CMD ["bocage", "serve", "--host", "0.0.0.0", "--port", "8000"]
