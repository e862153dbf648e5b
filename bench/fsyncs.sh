#!/usr/bin/env bash
# fsyncs.sh counts the fsync, fdatasync (and sync_file_range, msync, syncfs, sync) calls that each benchmark
# matching a regexp makes per operation, with strace, for implementations
# that cannot be counted from inside (etcd's wal, raft-boltdb). Each
# benchmark runs twice from one test binary, with -test.benchtime LOx and
# HIx; what setup and teardown sync is the same in both runs, so
#
#	fsyncs per op = (calls at HI - calls at LO) / (HI - LO).
#
#	./fsyncs.sh 'BENCH REGEXP' [LO HI]
#
# (strace: apt-get install strace. The benchmarks must take -test.benchtime
# Nx: each runs its function with b.N = 1, then N.)
set -euo pipefail
cd "$(dirname "$0")"
bench=${1:?benchmark regexp}
lo=${2:-100}
hi=${3:-300}
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 1; }
bin=$(mktemp -d)/bench.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" .
count() { # count REGEXP N: fsync+fdatasync calls of one run
	strace -f -c -e trace=fsync,fdatasync,sync_file_range,msync,syncfs,sync -o "$bin.strace" \
		"$bin" -test.run '^$' -test.bench "$1" -test.benchtime "$2x" >/dev/null
	awk '$NF ~ /^(fsync|fdatasync|sync_file_range|msync|syncfs|sync)$/ { n += $4 } END { print n + 0 }' "$bin.strace"
}
# One run per leaf benchmark, so that each gets its own count.
"$bin" -test.run '^$' -test.bench "$bench" -test.benchtime 1x |
	awk '/^Benchmark/ { sub(/-[0-9]+$/, "", $1); print $1 }' |
	while read -r name; do
		re="^$(sed -e 's|/|$/^|g' -e 's|[.+]|\\&|g' <<<"$name")\$"
		a=$(count "$re" "$lo")
		b=$(count "$re" "$hi")
		printf '%s\t%s\n' "$name" "$(awk -v a="$a" -v b="$b" -v lo="$lo" -v hi="$hi" 'BEGIN { printf "%.3f fsyncs/op", (b - a) / (hi - lo) }')"
	done
