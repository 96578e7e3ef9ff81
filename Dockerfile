# Retail chat assistant: one image holding the nine services, chatctl and the
# migration scripts. The command picks the program per container:
#
#   docker build -t retail-assistant:dev .
#   docker run --rm retail-assistant:dev orchestrator
#   docker run --rm retail-assistant:dev chatctl topics create \
#       --file /opt/retail-assistant/deploy/topics.conf --partitions 6
#   docker run --rm -e DATABASE_URL=... retail-assistant:dev \
#       /opt/retail-assistant/deploy/migrate.sh
#
# Works with BuildKit and with the classic builder (no RUN --mount, no COPY --chmod).

ARG DEBIAN_IMAGE=debian:bookworm-slim

# --- build -------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build

ARG DEBIAN_FRONTEND=noninteractive
# Unpinned on purpose: bookworm point releases bring security fixes.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential \
        pkg-config \
        protobuf-c-compiler \
        libprotobuf-c-dev \
        librdkafka-dev \
        libmicrohttpd-dev \
        libwebsockets-dev \
        libev-dev \
        libhiredis-dev \
        libpq-dev \
        libjansson-dev \
        libssl-dev \
        libcurl4-openssl-dev \
        libpoppler-glib-dev \
        zlib1g-dev \
        uuid-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# .dockerignore keeps build/, .run/, .git and the packaging files out.
COPY . .

# Build, then stage exactly what the runtime image gets under /out (root-owned,
# not writable by the service user). Debug info is dropped, symbols are kept.
RUN make -j"$(nproc)" all \
 && install -d /out/usr/local/bin /out/opt/retail-assistant/deploy/migrations \
 && for b in build/bin/*; do install -m 0755 "$b" /out/usr/local/bin/; done \
 && strip --strip-debug /out/usr/local/bin/* \
 && install -m 0644 deploy/topics.conf deploy/env.sh deploy/lib.sh /out/opt/retail-assistant/deploy/ \
 && install -m 0755 deploy/migrate.sh /out/opt/retail-assistant/deploy/ \
 && install -m 0644 deploy/migrations/*.sql /out/opt/retail-assistant/deploy/migrations/ \
 && install -d /out/opt/retail-assistant/deploy/tenants && install -m 0644 deploy/tenants/*.conf /out/opt/retail-assistant/deploy/tenants/ \
 && for b in gateway intent-classifier orchestrator retriever llm-caller guardrail formatter ingestion handoff chatctl; do \
        test -x "/out/usr/local/bin/$b" || { echo "missing binary: $b" >&2; exit 1; }; \
    done

# --- runtime -----------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS runtime

ARG DEBIAN_IMAGE
ARG DEBIAN_FRONTEND=noninteractive
# Runtime libraries of the binaries, bash + psql for deploy/migrate.sh,
# curl for container healthchecks. Unpinned, as above.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        librdkafka1 \
        libmicrohttpd12 \
        libwebsockets17 \
        libwebsockets-evlib-ev \
        libev4 \
        libprotobuf-c1 \
        libhiredis0.14 \
        libpq5 \
        libjansson4 \
        libssl3 \
        libcurl4 \
        libuuid1 \
        libpoppler-glib8 \
        zlib1g \
        bash \
        ca-certificates \
        curl \
        postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin app

COPY --from=build /out/ /
COPY --from=build /src/build/models/intent.model /opt/retail-assistant/models/intent.model
ENV INTENT_MODEL=/opt/retail-assistant/models/intent.model

# Fail the image build if any binary misses a shared library at run time, or
# the libev plugin that libwebsockets loads for the gateway (GATEWAY_WS_LIBEV)
# is missing or cannot load.
RUN set -e; for b in /usr/local/bin/* /usr/lib/*/libwebsockets-evlib_ev.so; do \
        libs=$(ldd "$b"); \
        case "$libs" in *"not found"*) echo "$b: missing shared libraries:" >&2; echo "$libs" >&2; exit 1 ;; esac; \
    done

ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=""
LABEL org.opencontainers.image.title="retail-assistant" \
      org.opencontainers.image.description="Retail chat assistant: C services over Kafka (gateway, intent-classifier, orchestrator, retriever, llm-caller, guardrail, formatter, ingestion, handoff) and chatctl" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${DEBIAN_IMAGE}"

# Containers listen on all interfaces; everything else comes from the
# environment of each container (see docker-compose.yml / the Helm chart).
# HOME points at a path that need not exist: nothing writes to disk, so the
# root filesystem can be mounted read-only.
ENV ADMIN_ADDR=0.0.0.0 \
    GATEWAY_HTTP_ADDR=0.0.0.0 \
    HOME=/nonexistent \
    LANG=C.UTF-8

WORKDIR /opt/retail-assistant
USER 10001:10001

# gateway HTTP + WebSocket, admin ports (/healthz, /readyz, /metrics) 9101-9109.
EXPOSE 8080 8081 9101 9102 9103 9104 9105 9106 9107 9108 9109

# Services handle SIGTERM themselves and exit within 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT []
CMD ["gateway"]
