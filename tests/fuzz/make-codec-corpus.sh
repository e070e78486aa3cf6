#!/bin/sh
# Regenerates the seed corpora of the decoder fuzz targets (envelope,
# actions, regionmeta, sst, checkpoint) under tests/fuzz/corpora/ from the
# files a real engine workload writes (rhook-fuzz-seeds, built by run.sh in
# the fuzzing build).  Regression inputs (regress-*) are kept.
#
#   tests/fuzz/make-codec-corpus.sh
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${RHOOK_FUZZ_BUILD_DIR:-$src/build/fuzz}
out=$src/tests/fuzz/corpora
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$src/tests/fuzz/run.sh" --build-only
RHOOK_LTTNG=off "$build/bin/rhook-fuzz-seeds" "$tmp"
for t in envelope actions regionmeta sst checkpoint; do
	mkdir -p "$out/$t"
	find "$out/$t" -type f ! -name 'regress-*' -delete
	cp "$tmp/$t"/* "$out/$t"/
done
