# golive as a small image: a static musl binary built from source, on scratch, run
# as a non-root user. TLS roots are compiled in (webpki-roots), so the image needs no
# CA bundle; write results to a mounted volume (the root filesystem can be read-only).
#
#   docker build -t golive:0.1.0 .
#   docker run --rm golive:0.1.0 stress https://staging.example.com/health -n 100
FROM rust:1.89-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY benches benches
RUN cargo build --release --locked --bin golive \
 && strip target/release/golive

FROM scratch
COPY --from=build /src/target/release/golive /golive
USER 10001:10001
ENTRYPOINT ["/golive"]
