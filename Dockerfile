# rebilly-sandbox as a CI service: docker build -t rebilly-sandbox . && docker run -p 8080:8080 rebilly-sandbox
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY sandbox ./sandbox
COPY fixtures ./fixtures
RUN pip install . && useradd --create-home --uid 10001 sandbox && mkdir /data && chown sandbox /data

USER sandbox
WORKDIR /data
EXPOSE 8080

# Inside a container the sandbox must listen on every interface to be reachable.
HEALTHCHECK --interval=2s --timeout=2s --start-period=5s --retries=15 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/__admin/health', timeout=2)"

ENTRYPOINT ["rebilly-sandbox", "serve", "--host", "0.0.0.0", "--port", "8080"]
CMD ["--db", "/data/db.json"]
