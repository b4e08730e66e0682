# Onramp application image: web (gunicorn), celery worker and celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv

WORKDIR /app

# Dependencies first (cached while only the code changes).
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --no-cache

COPY . .
RUN uv sync --frozen --no-dev --no-cache

# Static files are baked into the image (served by WhiteNoise). Settings need
# these variables to import; nothing connects to the database or Redis here.
RUN SECRET_KEY=collectstatic-build-only-dummy-key \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    DEBUG=false \
    python manage.py collectstatic --noinput

RUN useradd --system --create-home --home-dir /home/onramp --shell /usr/sbin/nologin onramp \
    && mkdir -p /app/media \
    && chown onramp /app/media
USER onramp

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
