#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Migration orchestrated by the SOM (draft Figure 3): a SOM and two real
# ferry-soa agents. The source (host 101) is the firewall between a client
# namespace (VMs 198.18.10.1, .2, .3) and a server namespace; real TCP
# connections through it make the flows. Then:
#  (a) `ferryctl migrate --wait` moves exactly VM1's flows to the
#      destination (host 102), after waiting for another process's import
#      that held the destination's table; a `ferry-tde notify` moves VM3's; VM2's stay
#      untouched on both; `ferryctl som migrations --json` shows them done
#      with their counts and times in order;
#  (b) destination stopped: the deadline passes -> failed "expired", and the
#      destination's table is unchanged once it runs again (ABORT);
#  (c) destination killed (-9) mid-migration -> failed, table unchanged;
#  (d) source killed (-9) while uploading -> failed, destination unchanged;
#  (e) a VM too large for the destination's table -> failed "table-full",
#      nothing installed;
#  (f) the message rules: a TDE's or an unregistered agent's migration
#      message, or an agent sending the SOM's own PREPARE, closes the
#      session; a READY for no running migration is ignored.
# (A replayed order of a finished migration answering "already-done" is
# proved at the library level by test_mig_transfer.)
set -u
cd "$(dirname "$0")/../.."
. selftests/net/lib.sh
. selftests/net/som_lib.sh
BUILD=${BUILD:-build}
TDE=$PWD/$BUILD/bin/ferry-tde
SOM_PORT=7460
CNS=engmigc SNS=engmigs
SRV= CLI=

[ "$(id -u)" = 0 ] || skip "needs root"
command -v python3 >/dev/null || skip "needs python3 (to hold TCP connections)"
tmp=$(mktemp -d)
fail() { mig_fail "$@"; }
cleanup() {
	for p in ${HOLD:-} ${IMP:-} ${MIG:-}; do kill "$p" 2>/dev/null; done
	[ -n "$CLI" ] && kill "$CLI" 2>/dev/null && wait "$CLI" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	ip netns del $CNS 2>/dev/null
	ip netns del $SNS 2>/dev/null
	mig_cleanup engmig
}
trap cleanup EXIT INT TERM
som_ns_setup engmig

# client -- fwa [host 101] fwb -- server; host 102 on a link of its own
mig_path $CNS $SNS 198.18.10.1 198.18.10.2 198.18.10.3

som_key som; som_key tde3; som_key poke9
echo "$(pub tde3) tde 3 198.18.50.0/24" > "$tmp/authorized_keys"
echo "$(pub poke9) soa 109 198.18.50.0/24" >> "$tmp/authorized_keys"
for i in 1 2; do
	som_key soa$i
	echo "$(pub soa$i) soa 10$i 198.18.50.0/24" >> "$tmp/authorized_keys"
done
mig_agent_conf engmig 1 4096 fwa fwb
mig_agent_conf engmig 2 40 dstv	# room for VM1 (20) and VM3 (5), not VM2 (20) too
LOST_MS=10000 som_conf
printf '[migration]\ndeadline_ms = 4000\n' >> "$tmp/som.conf"
som_start

# flows of one VM address in a host's table, as sorted JSON lines
flows_of() {	# flows_of I ADDR
	mig_ctl $1 ct list --json | python3 -c '
import json, sys
a = sys.argv[1]
for f in json.load(sys.stdin):
    if a in json.dumps(f):
        print(json.dumps({k: f[k] for k in ("zone", "proto") if k in f}, sort_keys=True),
              sorted(str(v) for v in f.values() if isinstance(v, str) and "198.18" in v))
' "$2" | sort
}
nflows() { flows_of "$1" "$2" | grep -c .; }

for i in 1 2; do mig_start_agent $i; done
wait_for 20 som_connected 2 || { cat "$tmp"/*.log; fail "two agents registered"; }
echo "ok: two ferry-soa agents registered"
for a in 1 2 3; do mig_ctl 1 vm add 0:198.18.10.$a >/dev/null || fail "vm add"; done

# Real connections through the source: 20 for VM1, 20 for VM2, 5 for VM3.
ip netns exec $SNS python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.20.1", 8080)); s.listen(256); s.settimeout(1)
held, end = [], time.time() + 120
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' & SRV=$!
wait_for 10 eval 'ip netns exec $SNS ss -ltn | grep -q 198.18.20.1:8080' || fail "server listening"
ip netns exec $CNS python3 -c '
import socket, sys, time
held = []
for a, n in (("198.18.10.1", 20), ("198.18.10.2", 20), ("198.18.10.3", 5)):
    for i in range(n):
        for t in range(50):
            try:
                c = socket.create_connection(("198.18.20.1", 8080), timeout=2, source_address=(a, 0))
                break
            except OSError as e:
                print("retry", a, e, file=sys.stderr, flush=True); time.sleep(0.1)
        else:
            raise SystemExit("cannot connect from " + a)
        c.sendall(b"x"); held.append(c)
print("connected", len(held), flush=True)
time.sleep(120)
' > "$tmp/client.out" 2>"$tmp/client.log" & CLI=$!
wait_for 10 grep -q "connected 45" "$tmp/client.out" || fail "45 connections through the source"
check "source holds 20 flows of VM1, 20 of VM2, 5 of VM3" \
	[ "$(nflows 1 198.18.10.1)/$(nflows 1 198.18.10.2)/$(nflows 1 198.18.10.3)" = 20/20/5 ]
check "destination holds none" [ "$(mig_ctl 2 ct list --json | grep -c 198.18.10)" = 0 ]
vm1_src=$(flows_of 1 198.18.10.1); vm2_src=$(flows_of 1 198.18.10.2)

# (a) ferryctl migrate --wait, while another process's import holds the
# destination's table (`ferryctl --direct import` reading a pipe that stays
# open): the migration waits for it, then installs.
mkfifo "$tmp/hold"
"$FERRYCTL" --instance ${MIG_PREFIX}2 --direct import < "$tmp/hold" > "$tmp/hold.out" 2>&1 & IMP=$!
sleep 30 > "$tmp/hold" & HOLD=$!
wait_for 5 eval '"$FERRYCTL" --instance ${MIG_PREFIX}2 --direct import < /dev/null 2>&1 | grep -q "is installing an import"' ||
	fail "(a) the held import holds the table"
mig_run --vm 0:198.18.10.1 --from 101 --to 102 --wait > "$tmp/mig_a.out" & MIG=$!
sleep 1
check "(a) while the other import holds the table, none of VM1's flows is installed" \
	[ "$(nflows 2 198.18.10.1)" = 0 ]
check "(a) the migration waits (still running)" kill -0 $MIG
kill $HOLD; wait $HOLD 2>/dev/null
wait $IMP; rc=$?
check "(a) the other import, given nothing, failed ($rc: $(cat "$tmp/hold.out"))" \
	[ $rc = 1 -a -n "$(grep 'nothing imported' "$tmp/hold.out")" ]
wait $MIG; rc=$?
out=$(cat "$tmp/mig_a.out")
echo "$out"
check "(a) migrate --wait answers done (rc $rc)" [ $rc = 0 -a -n "$(echo "$out" | grep ' done reason ok flows 20 accepted 20 rejected 0')" ]
check "(a) exactly VM1's flows are on the destination" [ "$(flows_of 2 198.18.10.1)" = "$vm1_src" ]
check "(a) VM2's flows are untouched on the source, absent on the destination" \
	[ "$(flows_of 1 198.18.10.2)" = "$vm2_src" -a "$(nflows 2 198.18.10.2)" = 0 ]
check "(a) the source keeps its copy (released, left to expire)" [ "$(flows_of 1 198.18.10.1)" = "$vm1_src" ]
mig_list
check "(a) som migrations: done, ok, 20 flows accepted" \
	[ "$(mig_field 0 phase)/$(mig_field 0 reason)/$(mig_field 0 flows)/$(mig_field 0 accepted)/$(mig_field 0 rejected)" = done/ok/20/20/0 ]
o=$(mig_field 0 ms.order) f=$(mig_field 0 ms.first_chunk) n=$(mig_field 0 ms.installed) r=$(mig_field 0 ms.released)
check "(a) times in order: order $o <= first chunk $f <= installed $n <= released $r" \
	[ "$o" -ge 0 -a "$f" -ge "$o" -a "$n" -ge "$f" -a "$r" -ge "$n" ]
check "(a) the source logged the release" wait_for 5 grep -q "migration: released" "$tmp/agent1.log"
out=$(mig_run --vm 0:198.18.10.1 --from 101 --to 101 2>&1); rc=$?
check "(a) from == to is refused (rc $rc: $out)" [ $rc = 2 -a -n "$(echo "$out" | grep 'both host 101')" ]
out=$(mig_run --vm 0:198.18.10.1 --from 101 --to 109 2>&1); rc=$?
check "(a) an unknown host is refused (rc $rc: $out)" [ $rc = 2 -a -n "$(echo "$out" | grep 'host 109 is not registered')" ]

# (a) by the TDE: ferry-tde notify for VM3
cat > "$tmp/tde.conf" <<-CONF
[tde]
identity_key = $tmp/tde3.key
host_id = 3
som_address = $SOM_ADDR:$SOM_PORT
som_public_key = $(pub som)
[watch here]
[host fw1]
id = 101
gateway = 198.18.50.4
[host fw2]
id = 102
gateway = 198.18.50.5
[vm vm3]
zone = 0
address = 198.18.10.3
CONF
out=$(ip netns exec "$NS" "$TDE" notify --config "$tmp/tde.conf" --vm vm3 --from fw1 --to fw2 2>&1) ||
	fail "ferry-tde notify: $out"
wait_for 5 eval '[ "$(mig_field 1 phase)" = done ]' || { mig_list; cat "$tmp/som.log"; fail "(a) the TDE's notification migrated VM3"; }
check "(a) TDE notify: VM3's 5 flows moved, named vm3" \
	[ "$(nflows 2 198.18.10.3)/$(mig_field 1 vm)/$(mig_field 1 accepted)" = 5/vm3/5 ]
dst_before=$(mig_ctl 2 ct list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

dst_unchanged() {
	[ "$(mig_ctl 2 ct list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$dst_before" ] &&
	[ "$(nflows 2 198.18.10.2)" = 0 ]
}

# (b) the destination stopped: the deadline passes
kill -STOP "${AGENTS[2]}"
out=$(mig_run --vm 0:198.18.10.2 --from 101 --to 102 --wait); rc=$?
check "(b) stopped destination: failed, expired (rc $rc: $out)" [ $rc = 1 -a -n "$(echo "$out" | grep 'failed reason expired')" ]
kill -CONT "${AGENTS[2]}"
check "(b) the destination got ABORT" wait_for 5 grep -q "aborted by the SOM" "$tmp/agent2.log"
check "(b) the destination's table is unchanged" dst_unchanged
check "(b) the source still owns VM2's flows" [ "$(flows_of 1 198.18.10.2)" = "$vm2_src" ]

# (c) the destination killed (-9) mid-migration
kill -STOP "${AGENTS[2]}"
mig_run --vm 0:198.18.10.2 --from 101 --to 102 --wait > "$tmp/c.out" & w=$!
wait_for 5 eval 'mig_list | grep -q preparing' || fail "(c) migration started"
out=$(mig_run --vm 0:198.18.10.2 --from 101 --to 102 2>&1); rc=$?
check "(c) a second request for a VM being migrated starts nothing (rc $rc: $out)" \
	[ $rc = 2 -a -n "$(echo "$out" | grep 'running already')" ]
id=$(mig_list | python3 -c 'import json,sys; print([m for m in json.load(sys.stdin) if m["phase"] == "preparing"][0]["id"])')
out=$(ip netns exec "$NS" "$POKE" --connect "$SOM_ADDR:$SOM_PORT" --bind 198.18.50.66 \
	--key "$tmp/poke9.key" --som-key "$(pub som)" --role soa --host-id 109 mig 49 --register --id "$id" 2>&1)
check "(c) READY from a host not a party to the migration is closed: $out" \
	[ -n "$(echo "$out" | grep 'closed by the SOM: protocol')" -a -n "$(grep 'from host 109, not a party' "$tmp/som.log")" ]
check "(c) and the migration goes on waiting" [ -n "$(mig_list | grep preparing)" ]
kill -KILL "${AGENTS[2]}"; wait "${AGENTS[2]}" 2>/dev/null
wait $w; rc=$?
check "(c) killed destination: failed, reason destination-lost (rc $rc: $(cat "$tmp/c.out"))" \
	[ $rc = 1 -a -n "$(grep 'failed reason destination-lost' "$tmp/c.out")" ]
check "(c) the SOM says the destination disconnected" grep -q "the destination (host 102) disconnected" "$tmp/som.log"
mig_start_agent 2
wait_for 20 som_connected 2 || fail "(c) destination back"
check "(c) the destination's table is unchanged" dst_unchanged

# (d) the source killed (-9) while uploading: stopped so it never answers
aborts() { grep -c "aborted by the SOM" "$tmp/agent2.log"; }
n0=$(aborts)
kill -STOP "${AGENTS[1]}"
mig_run --vm 0:198.18.10.2 --from 101 --to 102 --wait > "$tmp/d.out" & w=$!
wait_for 5 eval 'mig_list | grep -q uploading' || { mig_list; fail "(d) migration uploading"; }
kill -KILL "${AGENTS[1]}"; wait "${AGENTS[1]}" 2>/dev/null
wait $w; rc=$?
check "(d) killed source: failed, reason source-lost (rc $rc: $(cat "$tmp/d.out"))" \
	[ $rc = 1 -a -n "$(grep 'failed reason source-lost' "$tmp/d.out")" ]
check "(d) the SOM says the source disconnected" grep -q "the source (host 101) disconnected" "$tmp/som.log"
check "(d) the destination got ABORT and dropped its receiver" wait_for 5 eval '[ "$(aborts)" -gt "$n0" ]'
check "(d) the destination's table is unchanged" dst_unchanged
mig_start_agent 1
wait_for 20 som_connected 2 || fail "(d) source back"
check "(d) the restarted source still holds VM2's flows (pinned table)" [ "$(nflows 1 198.18.10.2)" = 20 ]
check "(d) som mig_list names the side that left: (c) destination-lost, (d) source-lost" \
	[ "$(mig_field 3 reason)/$(mig_field 4 reason)" = destination-lost/source-lost ]

# (e) VM2 does not fit in what is left of the destination's table
out=$(mig_run --vm 0:198.18.10.2 --from 101 --to 102 --wait); rc=$?
check "(e) table full: failed, table-full (rc $rc: $out)" [ $rc = 1 -a -n "$(echo "$out" | grep 'failed reason table-full flows 20 accepted 0')" ]
check "(e) nothing installed" dst_unchanged
mig_list
check "six mig_list listed, two done, four failed" \
	[ "$(mig_list | grep -o '"phase": "done"' | wc -l)/$(mig_list | grep -o '"phase": "failed"' | wc -l)" = 2/4 ]

# (f) the engine's message rules, with a hand-driven peer (wirepoke)
poke() {	# poke KEY ROLE HOST_ID MODE...
	local key=$1 role=$2 host=$3; shift 3
	ip netns exec "$NS" "$POKE" --connect "$SOM_ADDR:$SOM_PORT" --bind 198.18.50.66 \
		--key "$tmp/$key.key" --som-key "$(pub som)" --role $role --host-id $host "$@"
}
out=$(poke tde3 tde 3 mig 53 2>&1)
check "(f) a TDE sending DONE is closed (protocol): $out" [ -n "$(echo "$out" | grep 'closed by the SOM: protocol')" ]
out=$(poke poke9 soa 109 mig 49 2>&1)
check "(f) READY before REGISTER is closed (protocol): $out" [ -n "$(echo "$out" | grep 'closed by the SOM: protocol')" ]
out=$(poke poke9 soa 109 mig 48 --register 2>&1)
check "(f) PREPARE (the SOM's own message) from an agent is closed: $out" [ -n "$(echo "$out" | grep 'closed by the SOM: protocol')" ]
out=$(poke poke9 soa 109 mig 49 --register 2>&1)
check "(f) READY for no running migration is ignored, the session kept: $out" \
	[ -n "$(echo "$out" | grep 'kept open')" -a -n "$(grep 'from host 109 for a migration not running: ignored' "$tmp/som.log")" ]
