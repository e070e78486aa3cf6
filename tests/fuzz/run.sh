#!/bin/sh
# Builds the recorder-file fuzz target with clang in its own build
# directory and runs it for a bounded time on a copy of the seed corpus.
#
#   tests/fuzz/run.sh [SECONDS]      (default 60)
#
# Environment: CC (default clang-14), RHOOK_FUZZ_BUILD_DIR (default
# build/fuzz).  A crash leaves its input in the build directory
# (crash-*) and makes the script fail.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${RHOOK_FUZZ_BUILD_DIR:-$src/build/fuzz}
seconds=${1:-60}

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="${CC:-clang-14}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DRHOOK_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" --target rhook-fuzz-recfile -j2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src"/tests/fuzz/corpus/* "$work"/
"$build"/bin/rhook-fuzz-recfile -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$build"/ -print_final_stats=1 "$work"
