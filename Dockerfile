# One image for every service; docker-compose.yml picks the service with `command`
# (scripts/service.sh <name>, which connects as that service's own broker and Redis user).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONWARNINGS="ignore::DeprecationWarning,ignore::UserWarning"

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt .
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt

COPY config.yml .
COPY services/ services/
COPY scripts/ scripts/

# The services need no root; the JWT public key is mounted read-only at run time.
RUN useradd --system --no-create-home leifeng
USER leifeng

EXPOSE 8001 8002 8003 8004 8080
CMD ["bash", "scripts/service.sh", "pairing"]
