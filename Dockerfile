# datahavn: build the release binary, then run it on a slim Debian with libpq.
FROM rust:1.89-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin datahavn

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/datahavn --create-home datahavn
COPY --from=build /src/target/release/datahavn /usr/local/bin/datahavn
USER datahavn
WORKDIR /var/lib/datahavn
ENV DATAHAVN_BIND=0.0.0.0:5000 \
    DATAHAVN_DATA_DIR=/var/lib/datahavn/data \
    RUST_LOG=info
EXPOSE 5000
ENTRYPOINT ["datahavn"]
CMD ["serve"]
