#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# End-to-end migration latency through ferry-som on a namespace testbed:
# a SOM and two real ferry-soa agents; N (default 10000) real TCP
# connections of one VM through the source firewall; then `ferryctl migrate
# --wait` (signed order, signed chunks relayed by the SOM, encrypted
# sessions, install at the destination). Prints
# "bench: mig_e2e_vm_<N/1000>k_ms" (notify -> installed) and the time to
# each phase. Then, with both tables holding OTHERS (default 1000000) flows
# of another VM, and VMs of 1k, 10k and 100k flows made by mkbundle and
# `ferryctl import` on the source (SIZES to change):
# "bench: mig_e2e_vm_<S/1000>k_of_1m_ms", its phases, and the CPU time
# each of the source agent, the SOM and the destination agent spent on it
# (the destination's with its per-VM index after DONE). Measures, does
# not judge. Needs root and python3.
set -u
cd "$(dirname "$0")/../.."
. selftests/net/lib.sh
. selftests/net/som_lib.sh
BUILD=${BUILD:-build}
SOA=$PWD/$BUILD/bin/ferry-soa
N=${N:-10000}
OTHERS=${OTHERS:-1000000}
SIZES=${SIZES:-1000 10000 100000}
MKBUNDLE=$PWD/$BUILD/selftests/bin/mkbundle
SOM_PORT=7461
CNS=engbmc SNS=engbms
AGENTS=() SRV= CLI=

[ "$(id -u)" = 0 ] || skip "needs root"
command -v python3 >/dev/null || skip "needs python3"
tmp=$(mktemp -d)
cleanup() {
	local i
	[ -n "$CLI" ] && kill "$CLI" 2>/dev/null && wait "$CLI" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	for i in "${AGENTS[@]}"; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
	for i in 1 2; do
		"$FERRYCTL" --netns "$NS" --instance engbm$i unload >/dev/null 2>&1
	done
	ip netns del $CNS 2>/dev/null
	ip netns del $SNS 2>/dev/null
	som_cleanup
}
trap cleanup EXIT INT TERM
som_ns_setup engbm
mig_path $CNS $SNS 198.18.10.1

som_key som
: > "$tmp/authorized_keys"
for i in 1 2; do
	som_key soa$i
	echo "$(pub soa$i) soa 10$i 198.18.50.0/24" >> "$tmp/authorized_keys"
done
ct=$((N * 2 + OTHERS + 112000))
mig_agent_conf engbm 1 $ct fwa fwb
mig_agent_conf engbm 2 $ct dstv
LOST_MS=5000 som_conf
sed -i "s/^frames_per_second = .*/frames_per_second = 100000/" "$tmp/som.conf"
som_start
for i in 1 2; do
	nsenter --net=/run/netns/"$NS" "$SOA" --config "$tmp/soa$i.conf" \
		--state-dir "$tmp" 2>>"$tmp/agent$i.log" &
	AGENTS[$i]=$!
done
connected() { [ "$(som_status | grep -c 'state connected')" = "$1" ]; }
wait_for 20 connected 2 || fail "two agents registered"
"$FERRYCTL" --socket /run/ferry/engbm1.sock vm add --max-flows $((N * 2)) 0:198.18.10.1 >/dev/null ||
	fail "vm add"

ulimit -n $((N * 2 + 1024)) 2>/dev/null
ip netns exec $SNS python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.20.1", 8080)); s.listen(4096); s.settimeout(1)
held, end = [], time.time() + 300
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
for i in range(int(sys.argv[1])):
    held.append(socket.create_connection(("198.18.20.1", 8080), timeout=5,
                                         source_address=("198.18.10.1", 0)))
print("connected", len(held), flush=True)
time.sleep(300)
' "$N" > "$tmp/client.out" & CLI=$!
wait_for 120 grep -q "connected $N" "$tmp/client.out" || fail "$N connections"
out=$("$FERRYCTL" migrate --som-socket "$tmp/som.sock" --vm 0:198.18.10.1 \
	--from 101 --to 102 --wait) || fail "migration: $out"
"$FERRYCTL" som migrations --json --som-socket "$tmp/som.sock" | python3 -c '
import json, sys
m = json.load(sys.stdin)[0]
k = int(sys.argv[1]) // 1000
print("bench: mig_e2e_vm_%dk_ms %d ms (flows %d, accepted %d)" % (k, m["ms"]["installed"], m["flows"], m["accepted"]))
for p in ("order", "first_chunk", "installed", "released"):
    print("bench: mig_e2e_vm_%dk_%s_ms %d ms" % (k, p, m["ms"][p]))
' "$N"

# ---- VMs of SIZES flows in tables holding OTHERS flows of another VM ----
ctl() { local i=$1; shift; "$FERRYCTL" --socket /run/ferry/engbm$i.sock "$@"; }
# CPU time of a process so far, ms (the scheduler's sum_exec_runtime)
cpu_ms() { awk '/^se.sum_exec_runtime/ { print $3 }' /proc/$1/sched; }
cpu_all() { echo "$(cpu_ms ${AGENTS[1]}) $(cpu_ms $SOM_PID) $(cpu_ms ${AGENTS[2]})"; }
if [ "$OTHERS" -gt 0 ]; then
	"$MKBUNDLE" 0:198.18.99.1 "$OTHERS" 198.21.0.0 > "$tmp/others.bundle" || fail "mkbundle"
	for i in 1 2; do
		ctl $i import < "$tmp/others.bundle" > /dev/null || fail "import of the others on $i"
	done
	rm -f "$tmp/others.bundle"
fi
j=0
for s in $SIZES; do
	j=$((j + 1))
	vm=0:198.18.$((110 + j)).1
	ctl 1 vm add --max-flows $((s * 2)) $vm > /dev/null || fail "vm add $vm"
	"$MKBUNDLE" $vm "$s" > "$tmp/vm.bundle" || fail "mkbundle $vm"
	ctl 1 import < "$tmp/vm.bundle" > /dev/null || fail "import of $vm"
	cpu0=$(cpu_all)
	out=$("$FERRYCTL" migrate --som-socket "$tmp/som.sock" --vm $vm \
		--from 101 --to 102 --wait) || fail "migration of $vm: $out"
	sleep 1		# the destination's index after DONE counts too
	cpu1=$(cpu_all)
	"$FERRYCTL" som migrations --json --som-socket "$tmp/som.sock" | python3 -c '
import json, sys
m = [m for m in json.load(sys.stdin) if sys.argv[2].split(":", 1)[1] in m["addresses"]][-1]
k, o = int(sys.argv[1]) // 1000, int(sys.argv[3]) // 1000000
assert m["phase"] == "done" and m["accepted"] == int(sys.argv[1]), m
print("bench: mig_e2e_vm_%dk_of_%dm_ms %d ms (flows %d, accepted %d)" % (k, o, m["ms"]["installed"], m["flows"], m["accepted"]))
for p in ("order", "first_chunk", "installed", "released"):
    print("bench: mig_e2e_vm_%dk_of_%dm_%s_ms %d ms" % (k, o, p, m["ms"][p]))
c0, c1 = [float(x) for x in sys.argv[4].split()], [float(x) for x in sys.argv[5].split()]
for who, a, b in zip(("source", "som", "destination"), c0, c1):
    print("bench: mig_e2e_vm_%dk_of_%dm_cpu_%s_ms %.0f ms" % (k, o, who, b - a))
' "$s" "$vm" "$OTHERS" "$cpu0" "$cpu1" || fail "the migration of $vm"
done
