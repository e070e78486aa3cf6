#!/bin/sh
# Builds every libFuzzer target with clang in a build directory of its own
# and runs each on a copy of its seed corpus, within one time budget shared
# among them.
#
#   tests/fuzz/run.sh [SECONDS]     fuzz for about SECONDS in total (default 84)
#   tests/fuzz/run.sh --build-only  build the targets and rhook-fuzz-seeds only
#
# Targets (decoder, share of the budget):
#   recfile     the flight recorder file (tools/rhook-read)        2
#   envelope    the manifest delta envelope, replayed               1
#   actions     the action-list JSON, round trip                    1
#   regionmeta  the region-metadata JSON, round trip                1
#   sst         the SST footer, meta block and row groups           1
#   checkpoint  _last_checkpoint / _latest and the file they name   1
#   ctl         the control channel's requests (rhook-ctl)          1
# Seeds: tests/fuzz/corpus/*.rhr (make-corpus.sh) and
# tests/fuzz/corpora/TARGET/ (make-codec-corpus.sh), regression inputs
# (regress-*) included; the JSON targets use json.dict.  A crash, a leak, a
# timeout (10 s on one input) or more than 2 GiB of memory fails the run
# and leaves the input in the build directory (TARGET-crash-*, ...).  The
# executions of each target are printed at the end.
#
# Environment: CC (default clang-14), RHOOK_FUZZ_BUILD_DIR (default
# build/fuzz).
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${RHOOK_FUZZ_BUILD_DIR:-$src/build/fuzz}
targets="recfile:2 envelope:1 actions:1 regionmeta:1 sst:1 checkpoint:1 ctl:1"

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="${CC:-clang-14}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DRHOOK_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
names=""
for t in $targets; do
	names="$names rhook-fuzz-${t%%:*}"
done
# shellcheck disable=SC2086 # one word per target
cmake --build "$build" --target $names rhook-fuzz-seeds -j2
if [ "${1:-}" = "--build-only" ]; then
	exit 0
fi

seconds=${1:-84}
shares=0
for t in $targets; do
	shares=$((shares + ${t#*:}))
done
per_share=$((seconds / shares))
[ "$per_share" -ge 1 ] || per_share=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=""
for t in $targets; do
	name=${t%%:*}
	mkdir "$work/$name"
	if [ "$name" = recfile ]; then
		cp "$src"/tests/fuzz/corpus/*.rhr "$work/$name"/
	else
		cp "$src"/tests/fuzz/corpora/"$name"/* "$work/$name"/
	fi
	log="$work/$name.log"
	dict=""
	case $name in
	envelope | actions | regionmeta | checkpoint) dict=$src/tests/fuzz/json.dict ;;
	esac
	echo "== fuzzing $name for $((per_share * ${t#*:})) s" >&2
	# The library's constructor must not look for an LTTng session.
	if ! RHOOK_LTTNG=off "$build/bin/rhook-fuzz-$name" -max_total_time=$((per_share * ${t#*:})) -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$build/$name-" -print_final_stats=1 ${dict:+"-dict=$dict"} "$work/$name" >"$log" 2>&1; then
		tail -n 60 "$log" >&2
		echo "fuzz target $name failed: its input is in $build/$name-*" >&2
		exit 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	summary="$summary$(printf '%-11s %12s executions' "$name" "$runs")
"
done
printf 'fuzzing: every target passed\n%s' "$summary" >&2
