#!/bin/bash
# Run Ferry's tests: build/selftests/bin/test_* and selftests/*/test_*.sh,
# or only those named as arguments. Exit status of a test: 0 passed,
# 77 skipped (its last output line says why), anything else failed.
# Each test's output goes to $BUILD/selftests/logs/<name>.log. Script
# tests (namespaces, pinned maps, agents) hold the lock file $LOCK while
# they run (not passed on to what they start: -o), so that two checkouts
# testing at once do not collide.
set -u

BUILD=${BUILD:-build}
TIMEOUT=${FERRY_TEST_TIMEOUT:-900}
LOCK=${FERRY_TEST_LOCK:-/run/ferry-selftests.lock}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: the tests load BPF programs and create namespaces: run as root" >&2
	exit 1
fi
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf || { echo "run.sh: cannot mount bpffs" >&2; exit 1; }
fi

tests=()
for t in "$BUILD"/selftests/bin/test_* selftests/*/test_*.sh; do
	[ -e "$t" ] && tests+=("$t")
done

want() {
	local name=$1 w
	[ $# -eq 1 ] && [ -z "${SELECT:-}" ] && return 0
	for w in $SELECT; do
		[ "$w" = "$name" ] && return 0
	done
	return 1
}
SELECT="$*"

logs="$BUILD/selftests/logs"
mkdir -p "$logs"
passed=0 failed=0 skipped=0 failed_names=""
for t in "${tests[@]}"; do
	name=$(basename "$t"); name=${name%.sh}
	want "$name" || continue
	start=$(date +%s)
	# The scripts build namespaces, pins and sockets under fixed names:
	# one at a time on this machine, whichever checkout runs them.
	lock=()
	case $t in
	*.sh)	command -v flock > /dev/null && lock=(flock -o "$LOCK") ;;
	esac
	"${lock[@]}" timeout --kill-after=10 "$TIMEOUT" "$t" > "$logs/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)	passed=$((passed + 1)); printf 'ok      %-32s %4ss\n' "$name" "$secs" ;;
	77)	skipped=$((skipped + 1))
		printf 'skip    %-32s %s\n' "$name" "$(tail -n 1 "$logs/$name.log")" ;;
	*)	failed=$((failed + 1)); failed_names="$failed_names $name"
		printf 'FAIL    %-32s %4ss (exit %d)\n' "$name" "$secs" "$rc"
		tail -n 30 "$logs/$name.log" | sed 's/^/    | /' ;;
	esac
done
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
