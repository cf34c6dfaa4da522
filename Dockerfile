FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN useradd --system --uid 1000 --home /app registry

COPY pyproject.toml README.md requirements.lock ./
COPY registry ./registry
COPY complaints ./complaints
COPY manage.py ./
# Runtime dependencies only, at the versions of the lock file.
RUN pip install --constraint requirements.lock . \
    && mkdir -p /app/var/media \
    && chown -R registry /app/var

USER registry
EXPOSE 8000
CMD ["gunicorn", "-c", "python:registry.gunicorn_conf", "registry.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
