# lifeline: build and test. `make test` is the one command CI runs; it
# installs the Debian packages the tests need (nut-server for the UPS probe,
# chromium for the browser tests, poppler-utils for PDF checks) when missing.

GO ?= go
PKGS ?= ./...

.PHONY: all build test deps vet windows demo bench clean

all: build

build:
	$(GO) build -o bin/lifeline ./cmd/lifeline

deps:
	bash scripts/ensure-debian-packages.sh

vet:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

windows:
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/lifeline

test: deps vet windows
	$(GO) test -count=1 -timeout 20m $(PKGS)

demo:
	$(GO) run ./cmd/lifeline demo

clean:
	rm -rf bin
