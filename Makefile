# Small and boring on purpose; see README.md.
GO       ?= go
FUZZTIME ?= 60s
# how many runs the fuzzer may spend shrinking each new input (its default
# of 60s each would eat most of a short run)
FUZZMINIMIZETIME ?= 100x
# package:FuzzTarget pairs run by `make fuzz`
FUZZ_TARGETS ?= ./provxml:FuzzParse ./pkgbuild/catalog:FuzzParse ./manifest:FuzzParse ./manifest:FuzzReadLock \
	./pkgbuild/cab:FuzzRead ./pkgbuild/cab:FuzzRoundTrip ./pkgbuild/cab:FuzzLZX \
	./pkgbuild/archive:FuzzArchiveRoundTrip ./pkgbuild/archive:FuzzReadArchive

.PHONY: build test race lint fuzz bench bench-compare check fmt generate

# A static binary: archive/tar imports os/user, which otherwise links the
# C library, and a dynamically linked provpack starts 0.6 ms slower.
# urfave_cli_no_docs leaves out urfave/cli's man-page and Markdown
# generators (and their Markdown library's start-up, 0.4 ms), which
# provpack does not use.
# -buildvcs=true: provpack version names the commit even where GOFLAGS
# turns stamping off.
BUILDFLAGS ?= -tags urfave_cli_no_docs -buildvcs=true
build:
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -o bin/provpack ./cmd/provpack

test:
	$(GO) test ./...

# Recompile provxml/csp_table.txt from the CSP descriptions in ../shared/ddf
# (docs/csp-table.md); go test fails while the checked-in table is stale.
generate:
	$(GO) generate ./provxml

race:
	$(GO) test -race ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

lint: fmt
	$(GO) vet ./...

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; fn=$${t##*:}; \
	  if ! grep -qs "^func $$fn(" $$pkg/*_test.go; then \
	    echo "fuzz: no $$fn in $$pkg"; exit 1; \
	  fi; \
	  echo "== $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test $$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME); \
	done

# Go benchmarks (MB/s from b.SetBytes) on the synthetic image.
bench:
	$(GO) test ./provxml ./pkgbuild ./pkgbuild/cab -run '^$$' -bench . -benchmem

# provpack against gcab, xmllint and cat on the same generated image.
bench-compare:
	scripts/bench-compare.sh

check: lint test
