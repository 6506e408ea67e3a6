# Thin wrapper: the work is in scripts/build-deb (build, install layout, .deb) and scripts/test.
#   make                                   release binaries (static Swift stdlib), man pages, completions
#   make install DESTDIR=/tmp/root PREFIX=/usr    the same layout as the .deb (config always under /etc)
#   make deb                               .build-deb/finetuned_$(cat VERSION)_amd64.deb
#   make test                              the test suite
#   make bench                             scripts/bench/all: every benchmark, writes docs/performance.md
PREFIX ?= /usr
DESTDIR ?=

.PHONY: all install deb test bench
all:
	scripts/build-deb build
install:
	scripts/build-deb install --destdir "$(DESTDIR)" --prefix "$(PREFIX)"
deb:
	scripts/build-deb deb
test:
	scripts/test
bench:
	scripts/bench/all
