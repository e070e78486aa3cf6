#!/bin/sh
# check_layers.sh SOURCE_DIR - the parts of src/ include one way (README, Layout).
#
# Every #include "..." of every file under src/<part>/ (and tracepoints/,
# tools/, tests/, bench/ for the parts they may reach) is resolved the way
# the compiler resolves it (the including file's folder first, then the
# part named by the path) and must be an edge of the table below.  Fails
# with one line per include not in the table, naming the file, the line
# and the edge.  Also fails if a folder under src/ is not in the table, so
# that a new part gets its row.
set -eu
src=${1:?usage: check_layers.sh SOURCE_DIR}/src
top=${1}

# part: the parts it may include (its own is always allowed).  The
# closure of: startup -> core -> trace -> recorder -> base, trace -> model
# -> base, core -> model, recorder -> safedir, every part -> wire.
allowed() {
	case $1 in
	wire) echo "" ;;
	base) echo "wire" ;;
	safedir) echo "" ;;
	model) echo "base wire" ;;
	recorder) echo "base safedir wire" ;;
	trace) echo "recorder model base safedir wire" ;;
	core) echo "trace recorder model base safedir wire" ;;
	startup) echo "core trace recorder model base safedir wire" ;;
	reader) echo "wire safedir" ;;
	engine) echo "" ;;
	rocksdb) echo "" ;;
	include) echo "" ;;
	# outside src/: the LTTng provider, programs, tests and benchmarks
	tracepoints) echo "wire" ;;
	tools) echo "reader wire safedir" ;;
	# bench: trace for rhook-bench-payload, which drives the library's own emitters (emit.h)
	bench) echo "wire trace" ;;
	tests) echo "reader wire core" ;;
	*) return 1 ;;
	esac
}

status=0
for d in "$src"/*/; do
	p=$(basename "$d")
	if ! allowed "$p" >/dev/null; then
		echo "check_layers: src/$p is not in the table of parts (tests/check_layers.sh)"
		status=1
	fi
done

check_file() { # check_file FILE FROM-PART
	f=$1
	from=$2
	dir=$(dirname "$f")
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
		n=${line%%:*}
		inc=$(printf '%s\n' "$line" | sed 's/^[^"]*"\([^"]*\)".*/\1/')
		case $inc in
		../*|*/../*)
			echo "check_layers: ${f#"$top"/}:$n: #include \"$inc\": no relative paths across parts"
			continue
			;;
		esac
		# A file of the including folder (its own part, or a program's own header).
		[ -e "$dir/$inc" ] && continue
		to=${inc%%/*}
		[ "$to" = "$inc" ] && continue # a library's own include directory (engine.h, rt.h, ...)
		[ -d "$src/$to" ] || continue
		[ "$to" = "$from" ] && continue
		ok=0
		for a in $(allowed "$from"); do
			[ "$a" = "$to" ] && ok=1
		done
		if [ $ok = 0 ]; then
			echo "check_layers: ${f#"$top"/}:$n: #include \"$inc\": $from -> $to is not an edge of the graph"
		fi
	done
}

out=$(
	for d in "$src"/*/; do
		p=$(basename "$d")
		find "$d" -type f \( -name '*.c' -o -name '*.h' \) | sort | while read -r f; do
			check_file "$f" "$p"
		done
	done
	for p in tracepoints tools bench tests; do
		[ -d "$top/$p" ] || continue
		find "$top/$p" -type f \( -name '*.c' -o -name '*.h' \) | sort | while read -r f; do
			check_file "$f" "$p"
		done
	done
)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	status=1
fi
[ $status = 0 ] && echo "check_layers: every include follows the graph"
exit $status
