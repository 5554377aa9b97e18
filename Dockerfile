# syntax=docker/dockerfile:1
# Kooch's container image: Debian's Python 3.11, the pinned dependencies in a virtualenv built in a
# separate stage, a non-root user, the database on the /data volume, the config from a mounted
# file or folder, the token from the environment. README.md, "Deploy", walks through it all.
#
#   docker build -t kooch \
#       --build-arg KOOCH_VERSION="$(python3 bot.py --version | cut -d' ' -f2)" \
#       --build-arg KOOCH_REVISION="$(git rev-parse --short HEAD)" \
#       --build-arg KOOCH_SOURCE="$(git remote get-url origin)" .
#   docker run -d --name kooch --init --env-file .env \
#       -v "$PWD/config:/config:ro" -v kooch-data:/data kooch
#
# Behind a proxy that re-signs TLS, give pip its CA bundle as a build secret (never stored in the
# image):   docker build --secret id=pip_ca,src=/path/to/ca-bundle.crt -t kooch .
# A private package index:   docker build --build-arg PIP_INDEX_URL=https://... -t kooch .

ARG BASE_IMAGE=debian:bookworm-slim

# ---- build: a virtualenv with the pinned dependencies ------------------------------------------
FROM ${BASE_IMAGE} AS build

# Every pinned dependency has wheels for amd64 and arm64, so no compiler is needed; binutils is
# for `strip` below. (On a platform without wheels, add build-essential and python3-dev here.)
# Debian's packages are not pinned on purpose: bookworm's security updates come with a rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv binutils ca-certificates \
 && rm -rf /var/lib/apt/lists/*

ARG PIP_INDEX_URL=https://pypi.org/simple
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DEFAULT_TIMEOUT=120

COPY requirements.txt /tmp/requirements.txt
# The pip_ca secret, when given, is the CA bundle pip trusts; without it pip uses its own.
RUN --mount=type=secret,id=pip_ca \
    set -eu; \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/pip install --index-url "$PIP_INDEX_URL" --no-compile -r /tmp/requirements.txt; \
    /opt/venv/bin/pip uninstall -y -q pip setuptools

# Trim what Kooch never loads: test suites, C headers and Cython sources, numpy's f2py and
# matplotlib's sample data. Strip the symbols of the extension modules (31 MB); the libraries
# bundled in *.libs/ are left alone: patchelf made them, and strip breaks them. Import everything
# once, so a broken trim fails the build rather than the bot. Last, compile the bytecode (32 MB):
# nothing is written at run time (PYTHONDONTWRITEBYTECODE), and without it every start and every
# health check would compile ~1,000 modules again, seconds of CPU each time.
RUN set -eu; \
    site=/opt/venv/lib/python3.11/site-packages; \
    find "$site" -depth -type d \( -name __pycache__ -o -name tests \) -exec rm -rf {} +; \
    find "$site" -type f \( -name '*.pxd' -o -name '*.pyx' -o -name '*.c' -o -name '*.h' \) -delete; \
    rm -rf "$site"/numpy/_core/include "$site"/numpy/f2py "$site"/numpy/_pyinstaller \
           "$site"/matplotlib/mpl-data/sample_data; \
    find "$site" -type f -name '*.so' -not -path '*.libs/*' -exec strip --strip-unneeded {} +; \
    MPLCONFIGDIR=/tmp/mpl PYTHONDONTWRITEBYTECODE=1 /opt/venv/bin/python -c \
      "import telegram.ext, aiosqlite, yaml, aiohttp, watchfiles, prometheus_client, segno, \
       babel, jdatetime, numpy, matplotlib; matplotlib.use('Agg'); \
       import matplotlib.pyplot as plt; plt.subplots()[0].savefig('/tmp/probe.png')"; \
    rm -rf /tmp/mpl /tmp/probe.png; \
    python3 -m compileall -q -j 0 "$site"

# ---- runtime: Python, the virtualenv, Kooch; no compilers ---------------------------------------
FROM ${BASE_IMAGE}

# ca-certificates: https to api.telegram.org. (Time zones come from the `tzdata` wheel.)
# /config/data -> /data: with the config mounted as a single file, the default
# `storage.sqlite_path: data/kooch.db` (relative to the config) lands on the volume.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log \
 && useradd --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin kooch \
 && mkdir -p /data /config \
 && chown kooch:kooch /data \
 && ln -s /data /config/data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Kooch's code belongs to root: the bot can write only to /data.
# .dockerignore keeps tests, caches, local databases and secrets out.
COPY . .
RUN ["/opt/venv/bin/python", "-m", "compileall", "-q", "/app"]

# Which Kooch this is (the OCI labels `docker inspect` and registries show); the revision is also
# what `bot.py --version`, /healthz, /status and kooch_build_info say (there is no .git here).
# The version itself is read from pyproject.toml at run time; the label repeats it for registries.
ARG KOOCH_VERSION=unknown
ARG KOOCH_REVISION=unknown
ARG KOOCH_SOURCE=""
LABEL org.opencontainers.image.title="Kooch" \
      org.opencontainers.image.description="Move a Telegram channel's audience to other messengers" \
      org.opencontainers.image.version="${KOOCH_VERSION}" \
      org.opencontainers.image.revision="${KOOCH_REVISION}" \
      org.opencontainers.image.source="${KOOCH_SOURCE}" \
      org.opencontainers.image.licenses="MIT"

ENV PATH=/opt/venv/bin:$PATH \
    KOOCH_REVISION=${KOOCH_REVISION} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KOOCH_CONFIG=/config/config.yaml \
    MPLCONFIGDIR=/tmp/matplotlib

# Numeric, so that a runtime checking for non-root (runAsNonRoot) can verify it.
USER 10001:10001
VOLUME ["/data"]

# `health` checks that the config loads and the database opens read-only, knows its migrations
# and could be written (and, when `web:` is configured, that the bot's HTTP server answers
# /healthz); it changes nothing in /data. Exit 0 healthy, 1 not.
HEALTHCHECK --interval=60s --timeout=15s --start-period=30s --retries=3 \
    CMD ["/opt/venv/bin/python", "bot.py", "health"]

# bot.py stops on SIGTERM: it finishes the updates in hand and commits every pending write.
# SIGHUP (`docker kill --signal HUP kooch`) reloads the config, as /reload does.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/venv/bin/python", "bot.py"]
CMD []
