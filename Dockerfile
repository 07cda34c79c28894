# The geohunt server and worker (docker-compose.yml runs both from this image).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . .
RUN pip install . && useradd --create-home --uid 10001 geohunt

# infra/migrate.py looks for migrations/ beside the package's source folder, which the
# installed copy in site-packages lacks: import the package from /app, where migrations/ is.
ENV PYTHONPATH=/app

USER geohunt
EXPOSE 8080
CMD ["geohunt", "serve", "--host", "0.0.0.0", "--port", "8080"]
