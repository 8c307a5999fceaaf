#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_mig_transfer's faults end to end: through real sockets and sessions,
# between two real ferry-soa agents (source host 101 with 3,000 flows of a
# VM, five 64 KiB chunks; destination host 102 with 50 flows of its own),
# with a relay that turned bad in between.
#
# The relay is selftests/tools/migrelay, a test-only SOM: the agents connect
# to it and authenticate it by the SOM's pinned key, as they would
# ferry-som, and it runs migrations the way ferry-som does, breaking one
# thing in each. Why not ferry-som with a proxy in front: the sessions are
# encrypted end to end, so a proxy could only cut bytes, and a hook to
# alter relayed chunks inside the real SOM would ship in the daemon. The
# relay is ~500 lines over the library's own session and codecs.
#
# Each case must end with its reason in the destination's answer and log,
# and the destination's table exactly as it was (every flow, its state and
# counters; only the remaining lifetimes are left out):
#   a chunk dropped (chunk-missing), duplicated (chunk-duplicate), two
#   swapped (chunk-out-of-order), a byte of one altered and the record
#   re-sealed on the session (bad-signature), one signed by another host's
#   key (bad-signature); an order for another destination
#   (wrong-destination), an expired order (expired);
#   then a migration that succeeds, and its order replayed: already-done,
#   nothing touched; again after the destination agent was killed (-9) and
#   restarted (its finished migrations are on disk); a corrupt file of
#   finished migrations stops the agent with the file and the line.
set -u
cd "$(dirname "$0")/../.."
. selftests/net/lib.sh
. selftests/net/som_lib.sh
BUILD=${BUILD:-build}
RELAYBIN=$PWD/$BUILD/selftests/bin/migrelay
MKBUNDLE=$PWD/$BUILD/selftests/bin/mkbundle
SOM_PORT=7480
VM=0:198.18.10.1
N=3000
RELAYP=

[ "$(id -u)" = 0 ] || skip "needs root"
tmp=$(mktemp -d)
fail() { mig_fail "$@"; }
cleanup() {
	[ -n "$RELAYP" ] && kill "$RELAYP" 2>/dev/null && wait "$RELAYP" 2>/dev/null
	mig_cleanup migrly
}
trap cleanup EXIT INT TERM
som_ns_setup migrly
mig_links rl
som_key som; som_key other
for i in 1 2; do
	som_key soa$i
	mig_agent_conf migrly $i 8192 rlv$i
done

coproc RELAY { nsenter --net=/run/netns/"$NS" "$RELAYBIN" --listen "$SOM_ADDR:$SOM_PORT" \
	--key "$tmp/som.key" --other-key "$tmp/other.key" 2>>"$tmp/relay.log"; }
RELAYP=$RELAY_PID	# bash unsets RELAY_PID when it ends
exec {TO_RELAY}>&"${RELAY[1]}" {FROM_RELAY}<&"${RELAY[0]}"
ask() {	# ask COMMAND...: the relay's one line of answer
	local line
	echo "$*" >&$TO_RELAY
	read -r -t 60 line <&$FROM_RELAY || line="no answer"
	echo "$line"
}

for i in 1 2; do mig_start_agent $i; done
out=$(ask hosts 2)
check "two agents registered with the relay ($out)" [ "$out" = "hosts 101 102" -o "$out" = "hosts 102 101" ]
mig_ctl 1 vm add $VM >/dev/null || fail "vm add"
"$MKBUNDLE" $VM $N > "$tmp/vm.bundle" && "$MKBUNDLE" 0:198.18.10.9 50 198.20.0.0 > "$tmp/own.bundle" ||
	fail "mkbundle"
mig_ctl 1 import < "$tmp/vm.bundle" | grep -q "accepted=$N " || fail "import on the source"
mig_ctl 2 import < "$tmp/own.bundle" | grep -q "accepted=50 " || fail "import on the destination"

# The destination's table: every flow but its remaining lifetime.
table() { mig_ctl 2 ct list 2>/dev/null | awk '{ $3 = ""; print }' | sort; }
logged() { grep -c "$1" "$tmp/agent2.log"; }
before=$(table)
check "the destination holds its 50 flows and none of the VM's" \
	[ "$(echo "$before" | grep -c .)" = 50 -a -z "$(echo "$before" | grep ' src=198.18.10.1 ')" ]

fault() {	# fault WHAT EXPECT LOGLINE HOW [K]
	local what=$1 want=$2 line=$3 n out
	shift 3
	n=$(logged "$line")
	out=$(ask migrate 101 102 $VM "$@")
	check "$what: the destination answers '$want' ($out)" [ "${out#"$want"}" != "$out" ]
	check "$what: and logged '$line'" [ "$(logged "$line")" -gt "$n" ]
	check "$what: its table is unchanged" [ "$(table)" = "$before" ]
}
fault "a chunk dropped" "done chunk-missing " "failed: chunk-missing" drop 1
fault "a chunk duplicated" "done chunk-duplicate " "failed: chunk-duplicate" dup 1
fault "two chunks swapped" "done chunk-out-of-order " "failed: chunk-out-of-order" swap 1
fault "a byte of a chunk altered, re-sealed on the session" "done bad-signature " \
	"failed: bad-signature" alter 2
fault "a chunk signed by another host's key" "done bad-signature " "failed: bad-signature" resign 1
fault "an order for another destination" "refused wrong-destination" \
	"order refused: wrong-destination" wrong-dest
fault "an expired order" "refused expired" "order refused: expired" expired
check "the source still holds every flow of the VM" \
	[ "$(mig_ctl 1 ct list 2>/dev/null | grep -c ' src=198.18.10.1 ')" = $N ]

out=$(ask migrate 101 102 $VM ok)
check "a migration through the relay succeeds ($out)" [ "$out" = "done ok flows $N accepted $N" ]
before=$(table)
check "the destination holds its 50 and the VM's $N" [ "$(echo "$before" | grep -c .)" = $((N + 50)) ]
fault "its order replayed" "refused already-done" "order refused: already-done" replay

kill -KILL "${AGENTS[2]}"; wait "${AGENTS[2]}" 2>/dev/null
rm -f /run/ferry/migrly2.sock
mig_start_agent 2
out=$(ask hosts 2)
check "the destination agent, killed (-9) and restarted, is back ($out)" [ "${out#hosts }" != "$out" ]
check "it reloaded the finished migration" grep -q "migrations-done, 1 not expired" "$tmp/agent2.log"
fault "its order replayed after the destination agent restarted" "refused already-done" \
	"order refused: already-done" replay

kill -TERM "${AGENTS[2]}"; wait "${AGENTS[2]}" 2>/dev/null
done_file=$tmp/state2/migrly2.migrations-done
cp "$done_file" "$tmp/done.good"
echo "not an id" >> "$done_file"
nsenter --net=/run/netns/"$NS" "$SOA" --config "$tmp/soa2.conf" --state-dir "$tmp/state2" \
	2>"$tmp/bad.log"; rc=$?
check "a corrupt file of finished migrations stops the agent (rc $rc): $(tail -1 "$tmp/bad.log")" \
	[ $rc != 0 -a -n "$(grep -F "$done_file:3: 'not an id' is not a migration id" "$tmp/bad.log")" ]
cp "$tmp/done.good" "$done_file"
mig_start_agent 2
out=$(ask hosts 2)
fault "its order replayed once the file is repaired" "refused already-done" \
	"order refused: already-done" replay
ask quit >/dev/null
