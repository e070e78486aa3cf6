#!/bin/sh
# Regenerates the seed corpus of the recorder-file fuzz target from real
# recordings by rhook-tracegen: small files (one or two buffers of two
# 4 KiB sub-buffers) in both modes and both clocks, a wrapped overwrite
# ring, manifest updates and compaction inputs with file id lists, failed
# writes, deletions (sst_file_removed), job ids, threads on the shared
# buffer (thread records).  v1-*.rhr is a file of the format version 1
# writer, kept as it is (rhook-read refuses it by its version);
# regress-*.rhr are inputs the fuzzer once broke the decoder with, kept.
#
#   tests/fuzz/make-corpus.sh BUILD_DIR     (a configured, built tree)
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
bin=$1/bin
out=$src/tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen() { # name mode clock buffers rounds [threads]
	RHOOK_LTTNG=off RHOOK_TRACE_DIR="$tmp/$1" RHOOK_TRACE_MODE=$2 RHOOK_TRACE_CLOCK=$3 \
		RHOOK_TRACE_BUFFER_SIZE=8k RHOOK_TRACE_SUBBUFFERS=2 RHOOK_TRACE_BUFFERS=$4 \
		"$bin/rhook-tracegen" --threads "${6:-$4}" --regions 1 --rounds "$5" --fail-every 5 >/dev/null
	cp "$tmp/$1"/*.rhr "$out/$1.rhr"
}

find "$out" -maxdepth 1 -name '*.rhr' ! -name 'v1-*' ! -name 'regress-*' -exec rm -f {} +
gen discard-tsc discard tsc 1 3
gen discard-mono discard monotonic 1 3
gen overwrite-wrapped overwrite tsc 1 40
gen overwrite-2buffers overwrite monotonic 2 12
gen discard-full discard monotonic 1 40
gen shared-3threads discard monotonic 1 2 3
