# Practica's production image: web (gunicorn), worker and beat (celery) run from it.
# Build: docker build -t practica .   (docker-compose.yml builds it for you)

FROM python:3.11-slim AS build
# psycopg2 builds from source: it needs a compiler and libpq's headers, only at build time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config config
COPY core core
COPY communities communities
COPY practice practice
COPY knowledge knowledge
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.default \
    PYTHONPATH=/app \
    MEDIA_ROOT=/data/media
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 --user-group practica \
    && mkdir -p /data/media \
    && chown practica:practica /data/media
COPY --from=build /wheels /wheels
# The project is installed with its dependencies; PYTHONPATH=/app makes every process import
# the copy in /app, next to its templates and static files.
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY --chown=practica:practica . .
# Static files are collected once, into the image; WhiteNoise serves them with hashed names.
# The key below exists only for this build step (settings refuse to load without one).
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-runtime-key \
    python manage.py collectstatic --noinput
USER practica
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--no-control-socket"]
