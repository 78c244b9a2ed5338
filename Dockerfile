# DBV Exchange: one image for the API workers and the one-shot `exchange init` (see
# docker-compose.yml and docs/deployment.md).
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY exchange ./exchange
COPY schema ./schema
COPY search ./search
COPY seed ./seed
# The project and every dependency as wheels (tantivy, asyncpg, uvloop and httptools ship
# manylinux wheels: no compiler needed).
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EXCHANGE_HOST=0.0.0.0 \
    EXCHANGE_PORT=8000 \
    EXCHANGE_DATA_DIR=/data
RUN useradd --create-home --uid 10001 exchange \
    && mkdir -p /data && chown exchange:exchange /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
USER exchange
WORKDIR /home/exchange
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
# uvicorn with uvloop + httptools; EXCHANGE_WORKERS sets the worker processes. SIGTERM drains
# in-flight requests for up to 10 s (timeout_graceful_shutdown).
STOPSIGNAL SIGTERM
CMD ["exchange", "serve"]
