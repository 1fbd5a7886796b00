FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=portal.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends libmagic1 && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 portal
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings but no real secrets or services.
RUN SECRET_KEY=build-only-$(head -c 40 /dev/urandom | od -An -tx1 | tr -d ' \n') \
    PORTAL_ENCRYPTION_KEY=0GuVSWBmo5DBCxGjBL6hWqmjBTNcY8FiOcEL5kSvmq8= ALLOWED_HOSTS=build \
    PORTAL_CREDENTIAL_KEYS=YnVpbGQtb25seS1jcmVkZW50aWFsLWtleS0zMmJ5dGU= \
    PORTAL_SIGNING_KEY=$(head -c 32 /dev/urandom | base64) \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
