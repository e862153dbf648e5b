#!/usr/bin/env bash
# interleave.sh runs the benchmarks of this module N times, one pass after
# another, from one test binary, so that every pass measures ours and the
# other side back to back and a burst of load on the machine falls on both.
# (go test -count N would instead repeat each benchmark N times in a row.)
#
#	./interleave.sh N 'BENCH REGEXP' [more test flags] > out.txt
#	go run ./cmd/benchratio out.txt
#	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /impl out.txt
set -euo pipefail
cd "$(dirname "$0")"
n=${1:?passes}
bench=${2:?benchmark regexp}
shift 2
bin=$(mktemp -d)/bench.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" .
go version
grep -m1 'model name' /proc/cpuinfo || true
echo "nproc: $(nproc)"
for i in $(seq "$n"); do
	echo "# pass $i of $n, $(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	"$bin" -test.run '^$' -test.bench "$bench" -test.benchmem "$@"
done
