# sesprov's build. `make test` is what CI runs (see .ci/run and README.md).
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin
# The release matrix (.goreleaser.yaml's goos × goarch; internal/dist's tests keep them equal).
CROSS_TARGETS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

.PHONY: all build test test-interop bench bench-interop lint demo clean generate cross release-check release-snapshot

all: build

build: ## build bin/sesprov and bin/iamfake
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/sesprov ./cmd/sesprov
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/iamfake ./cmd/iamfake

test: ## unit, end-to-end (binary against iamfake) and CLI tests; needs only Go
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-interop: ## the same scenarios against moto_server (skipped with a message where moto is absent)
	SESPROV_INTEROP=1 $(GO) test -count=1 -run Interop -v ./...

bench: ## benchmarks whose figures docs/performance.md records (then bench-interop, if moto_server is here)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@if command -v moto_server >/dev/null; then $(MAKE) --no-print-directory bench-interop; \
	else echo "bench-interop: SKIPPED: moto_server is not on PATH"; fi

bench-interop: ## batch speed vs a boto3 script and an AWS CLI script, against moto_server (internal/bench/interop.sh)
	internal/bench/interop.sh

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

demo: build ## the main job in the sandbox, no AWS account needed
	SESPROV_SANDBOX_STATE=$$(mktemp -d)/sandbox.json $(BIN)/sesprov --sandbox create-user --regions us-east-1,eu-west-1

clean:
	rm -rf $(BIN)

generate: ## rewrite the completion scripts and the man page from the commands' definitions (run after adding or changing a command)
	$(GO) test ./cmd/sesprov -run '^TestGeneratedFilesAreCurrent$$' -count=1 -args -update

cross: ## cross-compile cmd/sesprov and cmd/iamfake for every release target, as the release does, into a temporary directory
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for t in $(CROSS_TARGETS); do \
		echo "cross: $$t"; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o "$$tmp/$$t/" ./cmd/sesprov ./cmd/iamfake || exit 1; \
	done

release-check: ## validate .goreleaser.yaml with goreleaser (skipped with a message where it is absent; make test checks the file without it)
	@if command -v goreleaser >/dev/null; then goreleaser check; \
	else echo "release-check: SKIPPED: goreleaser is not on PATH (internal/dist's tests, run by make test, check .goreleaser.yaml without it)"; fi

release-snapshot: ## the release archives and checksums, unpublished, into dist/ (needs goreleaser)
	goreleaser release --snapshot --clean
