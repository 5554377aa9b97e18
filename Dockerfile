# Kooch: minimal image. (A later issue builds and runs it in the tests.)
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --uid 10001 kooch && mkdir -p /data && chown kooch /data
USER kooch
VOLUME /data
ENV KOOCH_CONFIG=/config/config.yaml
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/venv/bin/python", "bot.py"]
