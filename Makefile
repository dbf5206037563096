# Small and boring on purpose; see README.md.
GO       ?= go
FUZZTIME ?= 60s
# package:FuzzTarget pairs run by `make fuzz`
FUZZ_TARGETS ?= ./provxml:FuzzParse ./manifest:FuzzParse ./pkgbuild/cab:FuzzRead ./pkgbuild/cab:FuzzRoundTrip

.PHONY: build test lint fuzz bench bench-compare check fmt

build:
	$(GO) build -o bin/provpack ./cmd/provpack

test:
	$(GO) test ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

lint: fmt
	$(GO) vet ./...

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  if [ -d "$$pkg" ] && grep -rqs "func $$fn(" $$pkg/*_test.go; then \
	    echo "== $$pkg $$fn ($(FUZZTIME))"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME); \
	  fi; \
	done

# Go benchmarks (MB/s from b.SetBytes) on the synthetic image.
bench:
	$(GO) test ./provxml ./pkgbuild ./pkgbuild/cab -run '^$$' -bench . -benchmem

# provpack against gcab, xmllint and cat on the same generated image.
bench-compare:
	scripts/bench-compare.sh

check: lint test
