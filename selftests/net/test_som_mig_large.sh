#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# A migration larger than any buffer on its way, through a real SOM and two
# real ferry-soa agents: 250,000 flows of one VM (a 22 MB bundle; the SOM's
# session output is capped at 16 MiB) made with selftests/tools/mkbundle and
# `ferryctl import` on the source (host 101).
#
# The relay is made to fall behind on purpose, so flow control must act and
# the test does not depend on how fast anything runs: the source is stopped
# until the SOM has sent it UPLOAD, the destination (host 102) while the
# data flows to it; the SOM must then pause the source (som migrations
# counts the pauses) instead of buffering the bundle.
#
#  (a) the SOM killed (-9) in each phase: preparing (destination stopped),
#      uploading (source stopped), installing (the relay paused, the
#      bundle half way); each time, after the restart, `som migrations`
#      shows it failed "som-restarted", each side that was a party gets
#      ABORT som-restarted when it registers again, the destination's table
#      holds none of the VM's flows and the source still holds all of them;
#  (b) a migration of the same VM then succeeds with the relay paused on
#      the way: all 250,000 flows installed, the same 5-tuples as on the
#      source, and the SOM's peak memory (VmHWM) grown by less than the
#      flow control allows (two high-water marks and a frame), far below
#      the bundle;
#  (c) the list of migrations (the three interrupted, the one done)
#      survives another restart of the SOM, from its journal.
set -u
cd "$(dirname "$0")/../.."
. selftests/net/lib.sh
. selftests/net/som_lib.sh
BUILD=${BUILD:-build}
MKBUNDLE=$PWD/$BUILD/selftests/bin/mkbundle
SOM_PORT=7470
N=250000
VM=0:198.18.10.1

[ "$(id -u)" = 0 ] || skip "needs root"
command -v python3 >/dev/null || skip "needs python3"
tmp=$(mktemp -d)
fail() { mig_fail "$@"; }
trap 'mig_cleanup miglg' EXIT INT TERM
som_ns_setup miglg
mig_links lg

som_key som
: > "$tmp/authorized_keys"
for i in 1 2; do
	som_key soa$i
	echo "$(pub soa$i) soa 10$i 198.18.50.0/24" >> "$tmp/authorized_keys"
	mig_agent_conf miglg $i 300000 lgv$i
done
# Stopped agents send no heartbeats: the SOM must not give up on them here.
LOST_MS=60000 som_conf
printf '[migration]\ndeadline_ms = 120000\n' >> "$tmp/som.conf"
som_start
for i in 1 2; do mig_start_agent $i; done
wait_for 20 som_connected 2 || fail "two agents registered"
echo "ok: two ferry-soa agents registered"

mig_ctl 1 vm add --max-flows 300000 $VM >/dev/null || fail "vm add"
"$MKBUNDLE" $VM $N > "$tmp/vm.bundle" || fail "mkbundle"
out=$(mig_ctl 1 import < "$tmp/vm.bundle") || fail "import: $out"
check "the source imported $N flows of the VM ($out)" [ -n "$(echo "$out" | grep "imported $N flows: accepted=$N ")" ]
check "the bundle ($(wc -c < "$tmp/vm.bundle") bytes) is larger than the old 16 MiB cap" \
	[ "$(wc -c < "$tmp/vm.bundle")" -gt $((16 << 20)) ]

# The VM's flows of agent I as sorted 5-tuples (zone, addresses, ports).
tuples() { mig_ctl "$1" ct list | grep ' src=198.18.10.1 ' | awk '{print $5, $6, $7, $8, $(NF-1)}' | sort; }
nvm() { mig_ctl "$1" ct list | grep -c ' src=198.18.10.1 '; }
src_tuples=$(tuples 1)
check "the source lists $N flows of the VM" [ "$(echo "$src_tuples" | grep -c .)" = $N ]
check "the destination none" [ "$(nvm 2)" = 0 ]

mig_count() { mig_list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
phase_is() { [ "$(mig_field "$1" phase)" = "$2" ]; }
aborts() { grep -c "aborted by the SOM: som-restarted" "$tmp/agent$1.log"; }

# kill_in PHASE: a migration brought to PHASE, the SOM killed (-9) and
# started again; the agents continue and register again.
kill_in() {
	local want=$1 k=$(mig_count) a1=$(aborts 1) a2=$(aborts 2)
	kill -STOP "${AGENTS[$([ $want = preparing ] && echo 2 || echo 1)]}"
	mig_run --vm $VM --from 101 --to 102 > "$tmp/run.out" || fail "($want) migration started"
	if [ $want = installing ]; then
		wait_for 20 phase_is $k uploading || fail "(installing) uploading"
		kill -STOP "${AGENTS[2]}"
		kill -CONT "${AGENTS[1]}"
		wait_for 60 eval '[ "$(mig_field $k pauses)" -ge 1 ]' ||
			{ mig_list; fail "(installing) the relay paused the source"; }
	fi
	wait_for 20 phase_is $k $want || { mig_list; fail "($want) migration $k $want"; }
	echo "ok: ($want) migration $k is $want$([ $want = installing ] && echo ", the relay paused, the bundle half way")"
	som_stop KILL
	som_start
	check "($want) after the restart: failed, som-restarted" \
		[ "$(mig_field $k phase)/$(mig_field $k reason)" = failed/som-restarted ]
	kill -CONT "${AGENTS[1]}" "${AGENTS[2]}"
	wait_for 40 som_connected 2 || fail "($want) agents back"
	check "($want) the source got ABORT som-restarted when it came back" \
		wait_for 10 eval '[ "$(aborts 1)" -gt "$a1" ]'
	check "($want) the destination got ABORT som-restarted when it came back" \
		wait_for 10 eval '[ "$(aborts 2)" -gt "$a2" ]'
	check "($want) the destination holds none of the VM's flows" [ "$(nvm 2)" = 0 ]
	check "($want) the source still holds all $N" [ "$(tuples 1)" = "$src_tuples" ]
}
kill_in preparing
kill_in uploading
kill_in installing

# (b) the same VM again, the destination stopped while the data flows
k=$(mig_count)
base=$(awk '/^VmHWM/ {print $2}' /proc/$SOM_PID/status)
kill -STOP "${AGENTS[1]}"
mig_run --vm $VM --from 101 --to 102 --wait > "$tmp/b.out" & w=$!
wait_for 20 phase_is $k uploading || fail "(b) uploading"
kill -STOP "${AGENTS[2]}"
kill -CONT "${AGENTS[1]}"
wait_for 60 eval '[ "$(mig_field $k pauses)" -ge 1 ]' || { mig_list; fail "(b) the relay paused the source"; }
echo "ok: (b) the relay paused the source"
kill -CONT "${AGENTS[2]}"
wait $w; rc=$?
check "(b) done: all $N flows accepted (rc $rc: $(cat "$tmp/b.out"))" \
	[ $rc = 0 -a -n "$(grep " done reason ok flows $N accepted $N rejected 0" "$tmp/b.out")" ]
check "(b) the destination holds the same $N 5-tuples as the source" [ "$(tuples 2)" = "$src_tuples" ]
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$SOM_PID/status)
limit=$(( (2 * 4096 + 4096 + 2048) ))	# KiB: 2 x SOM_RELAY_HIGH (a doubling buffer), a frame, a read
check "(b) the SOM's peak memory grew by $((hwm - base)) KiB, under $limit KiB (the bundle: $(( $(wc -c < "$tmp/vm.bundle") / 1024 )) KiB)" \
	[ $((hwm - base)) -lt $limit ]

# (c) the history survives a restart
before=$(mig_list | python3 -c 'import json,sys; print([(m["id"], m["phase"], m["reason"], m["accepted"]) for m in json.load(sys.stdin)])')
som_stop TERM
som_start
check "(c) the four migrations, as they ended, after a restart" \
	[ "$(mig_list | python3 -c 'import json,sys; print([(m["id"], m["phase"], m["reason"], m["accepted"]) for m in json.load(sys.stdin)])')" = "$before" ]
check "(c) three som-restarted, one done" \
	[ "$(mig_list | grep -o '"reason": "som-restarted"' | wc -l)/$(mig_list | grep -o '"phase": "done"' | wc -l)" = 3/1 ]
