# gps as a Docker container action. The runner builds this image on every run: keep it small.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY requirements.lock /opt/gps/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /opt/gps/requirements.lock

COPY entrypoint.py /opt/gps/entrypoint.py
COPY gps /opt/gps/gps

ENTRYPOINT ["python", "/opt/gps/entrypoint.py"]
