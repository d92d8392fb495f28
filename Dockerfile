# sesprov's container image: a static binary on distroless/static (CA
# certificates, time zones, a non-root user, nothing else).
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t sesprov .
#   docker run --rm -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN \
#     -e AWS_REGION sesprov list
#
# The build is the Makefile's (`make build`): -trimpath, the same -ldflags,
# CGO_ENABLED=0. internal/dist's tests check that they stay the same.

# The Go of go.mod's go line (or newer): the golang image does not fetch another toolchain.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sesprov ./cmd/sesprov

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/sesprov /usr/local/bin/sesprov
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/sesprov"]
