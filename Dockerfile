# The gateway, workers and cron share one image; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY config config
COPY gateway gateway
COPY models models
COPY workers workers
COPY alembic.ini .
RUN useradd --create-home satja
USER satja
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn_conf.py", "gateway:create_app()"]
