# syntax=docker/dockerfile:1
# Kooch's container image: Debian's Python 3.11, the locked dependencies (requirements-lock.txt,
# hashes checked) and Kooch's wheel in a virtualenv built in a separate stage, one flattened layer
# without a package manager (at most 200 MB, tests/test_container.py), a non-root user, the
# database on the /data volume, the config from a mounted file or folder, the token from the
# environment. README.md, "Deploy", walks through it all.
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

# ---- build: a virtualenv with the locked dependencies and Kooch's wheel --------------------------
# (issue 25, package: this stage and the runtime's root filesystem below)
FROM ${BASE_IMAGE} AS build

# Every locked dependency has wheels for amd64 and arm64, so no compiler is needed; binutils is
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

# requirements-lock.txt: every runtime package, pinned, with the hashes pip checks them against.
COPY requirements-lock.txt /tmp/requirements-lock.txt
# The pip_ca secret, when given, is the CA bundle pip trusts; without it pip uses its own.
RUN --mount=type=secret,id=pip_ca \
    set -eu; \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/pip install --index-url "$PIP_INDEX_URL" --no-compile --require-hashes --no-deps \
        -r /tmp/requirements-lock.txt

# Kooch itself, as the wheel `pip install .` builds (.dockerignore keeps tests, caches and secrets
# out of the context): the package, its migrations and its example config, and the `kooch` command.
# The build backend (pyproject.toml's build-system) comes into pip's isolated build environment;
# the dependencies are in already (--no-deps).
COPY . /src
RUN --mount=type=secret,id=pip_ca \
    set -eu; \
    if [ -s /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi; \
    /opt/venv/bin/pip install --index-url "$PIP_INDEX_URL" --no-compile --no-deps /src; \
    /opt/venv/bin/pip uninstall -y -q pip setuptools

# Trim what Kooch never loads (together 60 MB of the 307 MB image this replaced):
# - test suites, C headers, Cython sources, type stubs; numpy's f2py, matplotlib's sample data;
# - of Babel's CLDR data (32 MB) what Kooch reads (5 MB; deploy/image/trim_cldr.py): every
#   language keeps its direction, its own name, its numbers and dates; the names of time zones,
#   currencies, units and countries go, and so do regional variants (Kooch asks for fa, not fa_AF);
# - matplotlib's fonts but DejaVu Sans (the charts', see kooch/insight/charts.py), STIX and Last
#   Resort (mathtext and missing glyphs), and its GUI and notebook backends; of fontTools what
#   matplotlib's Agg path imports (agl, misc: 6 MB of font compilers go); numpy's SIMD test module
#   and docs; Pillow's codecs matplotlib's PNG never uses (AVIF, WebP, FreeType, LCMS) and
#   the libraries only they load.
# Strip the symbols of the extension modules; the libraries bundled in *.libs/ are left alone:
# patchelf made them, and strip breaks them.
RUN set -eu; \
    site=/opt/venv/lib/python3.11/site-packages; \
    find "$site" -depth -type d \( -name __pycache__ -o -name tests \) -exec rm -rf {} +; \
    find "$site" -type f \( -name '*.pxd' -o -name '*.pyx' -o -name '*.c' -o -name '*.h' -o -name '*.pyi' \) -delete; \
    rm -rf "$site"/numpy/_core/include "$site"/numpy/f2py "$site"/numpy/_pyinstaller "$site"/numpy/doc \
           "$site"/numpy/_core/_simd.* "$site"/numpy/conftest.py \
           "$site"/matplotlib/mpl-data/sample_data "$site"/matplotlib/backends/web_backend; \
    for gui in _backend_gtk.py _backend_tk.py '_tkagg.*' backend_cairo.py 'backend_gtk*' backend_macosx.py \
               backend_nbagg.py 'backend_qt*' 'backend_tk*' 'backend_webagg*' 'backend_wx*' qt_compat.py qt_editor; do \
        eval rm -rf "$site/matplotlib/backends/$gui"; \
    done; \
    find "$site"/fontTools -mindepth 1 -maxdepth 1 -not -name __init__.py -not -name agl.py -not -name misc \
        -exec rm -rf {} +; \
    find "$site"/fontTools/misc -mindepth 1 -maxdepth 1 -not -name __init__.py -not -name loggingTools.py \
        -not -name textTools.py -exec rm -rf {} +; \
    /opt/venv/bin/python /src/deploy/image/trim_cldr.py "$site"; \
    fonts="$site"/matplotlib/mpl-data/fonts; \
    rm -rf "$fonts"/afm "$fonts"/pdfcorefonts "$fonts"/ttf/DejaVuSerif* "$fonts"/ttf/DejaVuSansMono* \
           "$fonts"/ttf/cm*.ttf; \
    rm -f "$site"/PIL/_avif.* "$site"/PIL/_webp.* "$site"/PIL/_imagingft.* "$site"/PIL/_imagingcms.* \
          "$site"/PIL/_imagingtk.* "$site"/pillow.libs/libavif* "$site"/pillow.libs/libwebp* \
          "$site"/pillow.libs/libsharpyuv* "$site"/pillow.libs/libfreetype* "$site"/pillow.libs/libharfbuzz* \
          "$site"/pillow.libs/libbrotli* "$site"/pillow.libs/libpng16* "$site"/pillow.libs/liblcms2*; \
    find "$site" -type f -name '*.so' -not -path '*.libs/*' -exec strip --strip-unneeded {} +

# ---- runtime root: Python, the virtualenv; no compilers, no package manager -------------------
FROM ${BASE_IMAGE} AS runtime-root

# ca-certificates: https to api.telegram.org. (Time zones come from the `tzdata` wheel.)
# /config/data -> /data: with the config mounted as a single file, the default
# `storage.sqlite_path: data/kooch.db` (relative to the config) lands on the volume.
# Then what a running Kooch never uses goes: apt, dpkg and their records, perl, debconf, gpgv,
# glibc's iconv modules (Python has its own codecs) and the docs' copyright files; the image is
# rebuilt, not upgraded in place, for Debian's security updates.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 ca-certificates \
 && useradd --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin kooch \
 && mkdir -p /data /config \
 && chown kooch:kooch /data \
 && ln -s /data /config/data \
 && rm -rf /var/lib/apt /var/cache/apt /var/cache/debconf /var/log/apt /var/log/dpkg.log \
           /usr/share/doc /usr/share/common-licenses /usr/share/perl* /usr/lib/x86_64-linux-gnu/perl* \
           /usr/lib/aarch64-linux-gnu/perl* /usr/bin/perl* /etc/apt /usr/lib/apt /usr/bin/apt* \
           /usr/lib/x86_64-linux-gnu/libapt* /usr/lib/aarch64-linux-gnu/libapt* /var/lib/dpkg \
           /usr/share/dpkg /usr/bin/dpkg* /usr/share/debconf /usr/bin/gpgv \
           /usr/lib/x86_64-linux-gnu/gconv /usr/lib/aarch64-linux-gnu/gconv \
           /usr/lib/python3.11/pydoc_data /usr/lib/python3.11/lib2to3 /usr/lib/python3.11/test \
           /usr/bin/openssl /usr/lib/x86_64-linux-gnu/libgnutls* /usr/lib/x86_64-linux-gnu/libunistring* \
           /usr/lib/x86_64-linux-gnu/libp11-kit* /usr/lib/x86_64-linux-gnu/libnettle* \
           /usr/lib/x86_64-linux-gnu/libhogweed* /usr/lib/x86_64-linux-gnu/libtasn1* \
           /usr/lib/x86_64-linux-gnu/libidn2* /usr/lib/x86_64-linux-gnu/libseccomp* \
           /usr/lib/x86_64-linux-gnu/libxxhash* \
 && find /usr/lib/python3.11 -depth -name __pycache__ -type d -exec rm -rf {} +

COPY --from=build /opt/venv /opt/venv

# Bytecode for what Kooch runs, not for every module of the virtualenv and the standard library
# (24 MB, not 44): a rehearsal (the bot, the simulator, the /stats chart), a check and a health
# check run once here, and Python keeps the bytecode of every module they load; Kooch's own
# modules and the database drivers are compiled whole. A broken trim fails the build here rather
# than the bot, and so does a shared library the removals above left a program or module without.
# Nothing is written at run time (PYTHONDONTWRITEBYTECODE): without this every start and every
# health check would compile ~900 modules again, seconds of CPU each time.
WORKDIR /tmp
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN set -eu; \
    site=/opt/venv/lib/python3.11/site-packages; \
    MPLCONFIGDIR=/tmp/mpl /opt/venv/bin/kooch example > /tmp/config.yaml; \
    MPLCONFIGDIR=/tmp/mpl /opt/venv/bin/kooch check --config /tmp/config.yaml > /dev/null; \
    MPLCONFIGDIR=/tmp/mpl /opt/venv/bin/kooch rehearse --subscribers 20 --config /tmp/config.yaml > /dev/null; \
    MPLCONFIGDIR=/tmp/mpl /opt/venv/bin/kooch health --no-web --config /tmp/config.yaml > /dev/null || true; \
    /opt/venv/bin/python -c "from kooch.i18n.languages import direction; \
        from kooch.i18n.numbers import format_number; from kooch.web.pages import language_name; \
        assert (direction('he'), direction('fa'), direction('az')) == ('rtl', 'rtl', 'ltr'); \
        assert (format_number(1234, 'fa'), format_number(1234, 'az')) == ('\u06f1\u066c\u06f2\u06f3\u06f4', '1.234'); \
        assert language_name('az') == 'az\u0259rbaycan'"; \
    python3 -m compileall -q "$site"/kooch "$site"/asyncpg "$site"/aiosqlite "$site"/watchfiles; \
    rm -rf /tmp/mpl /tmp/config.yaml /tmp/data /tmp/kooch-rehearsal-*; \
    missing=$(find /usr/bin /usr/sbin /usr/lib /opt/venv -type f \( -name '*.so*' -o -perm -u+x \) \
        -exec ldd {} + 2>/dev/null | grep 'not found' || true); \
    if [ -n "$missing" ]; then echo "$missing" >&2; exit 1; fi


# ---- runtime: one layer, the root above (no base layer underneath still holding what it removed)
FROM scratch
# The whole root on purpose: that is the flattening (75 MB of Debian's base would stay otherwise).
# hadolint ignore=DL3067
COPY --from=runtime-root / /
WORKDIR /data

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
    CMD ["/opt/venv/bin/kooch", "health"]

# `kooch` (bot.py's twin, installed from the wheel) stops on SIGTERM: it finishes the updates in
# hand and commits every pending write. SIGHUP (`docker kill --signal HUP kooch`) reloads the
# config, as /reload does.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/venv/bin/kooch"]
CMD []
