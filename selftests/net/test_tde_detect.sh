#!/bin/bash
# ferry-tde detects moves by watching rtnetlink in a router namespace
# (nve3-like, tde-r) that reaches the VMs through two State Hosts (tde-f1 as
# FW1, tde-f2 as FW2; VMs in tde-vm1 and tde-vm2):
#   1. vm1 moves from f1 to f2 (its link and the routes toward it): one
#      notification vm1 1->2, none for vm2;
#   2. a route flap of vm1 that returns within the debounce: none;
#   3. the FW1 path link goes down, vm2's backup routes via FW2 take over:
#      one notification vm2 1->2 (reason link);
#   4. a flap of vm1 that ends elsewhere (2->1->2->1): one, 2->1;
#   5. vm3 (IPv6 only) moves: one, 1->2;
#   6. vm4, known by no route, appears behind another edge: its MAC in
#      the neighbour table of tde-f2 (an NDP entry of its link-local
#      address, which the config does not list): one, 1->2 (reason neigh);
#   7. vm4's address then appears behind f1 again while f2's entry stays:
#      the latest entry wins: one, 2->1 (reason neigh).
# "None" is checked by order: a later move's notification (debounced the
# same way, so due later) comes after any that an earlier step left due.
# Flaps wait until ferry-tde logs that it saw each step (a candidate host,
# or its drop) before the next: the debounce (1 s) only has to be longer
# than ferry-tde takes to read one netlink event.
# Addresses 198.18.0.0/15 and 2001:db8::/32 only; everything torn down.
set -u
SKIP=77
BUILD=${BUILD:-build}
TDE=$PWD/$BUILD/bin/ferry-tde
P=tde
NSS="$P-r $P-f1 $P-f2 $P-vm1 $P-vm2 $P-vm4"
DIR=$(mktemp -d /tmp/tde-test.XXXXXX)
TDE_PID=

fail() { { echo "FAIL: $*"; [ -f "$DIR/err" ] && sed 's/^/  tde: /' "$DIR/err"; } >&2; exit 1; }
ok() { echo "ok: $*"; }

cleanup() {
	[ -n "$TDE_PID" ] && kill "$TDE_PID" 2>/dev/null && wait "$TDE_PID" 2>/dev/null
	for ns in $NSS; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$DIR"
	return 0
}
trap cleanup EXIT INT TERM

command -v jq >/dev/null || { echo "skip: jq is not installed"; exit $SKIP; }
[ -x "$TDE" ] || { echo "skip: $TDE not built"; exit $SKIP; }

# ---- the testbed ----------------------------------------------------------
for ns in $NSS; do
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns" || fail "cannot create namespace $ns"
	ip -n "$ns" link set lo up
done
veth() { ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || fail "veth $2"; }
veth $P-r r-f1 $P-f1 f1-r
veth $P-r r-f2 $P-f2 f2-r
veth $P-f1 f1-vm1 $P-vm1 eth0
veth $P-f1 f1-vm2 $P-vm2 eth0
veth $P-f1 f1-vm4 $P-vm4 eth0
ip -n $P-vm4 link set eth0 address 02:00:00:00:04:04
ip -n $P-vm4 addr add fe80::4/64 dev eth0 nodad
ip -n $P-f1 addr add fe80::1/64 dev f1-vm4 nodad
ip -n $P-r addr add 198.18.10.1/24 dev r-f1
ip -n $P-r addr add 2001:db8:10::1/64 dev r-f1 nodad
ip -n $P-r addr add 198.18.20.1/24 dev r-f2
ip -n $P-r addr add 2001:db8:20::1/64 dev r-f2 nodad
ip -n $P-f1 addr add 198.18.10.2/24 dev f1-r
ip -n $P-f1 addr add 2001:db8:10::2/64 dev f1-r nodad
ip -n $P-f2 addr add 198.18.20.2/24 dev f2-r
ip -n $P-f2 addr add 2001:db8:20::2/64 dev f2-r nodad
ip -n $P-vm1 addr add 198.18.100.1/32 dev eth0
ip -n $P-vm1 addr add 2001:db8:100::1/128 dev eth0 nodad
ip -n $P-vm2 addr add 198.18.100.2/32 dev eth0
ip -n $P-vm2 addr add 2001:db8:100::2/128 dev eth0 nodad
for ns in $NSS; do
	for l in $(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
		ip -n "$ns" link set "$l" up
	done
done
# f1 reaches its VMs directly
ip -n $P-f1 route add 198.18.100.1/32 dev f1-vm1
ip -n $P-f1 route add 2001:db8:100::1/128 dev f1-vm1
ip -n $P-f1 route add 198.18.100.2/32 dev f1-vm2
ip -n $P-f1 route add 2001:db8:100::2/128 dev f1-vm2
# r: vm1 only via FW1; vm2 via FW1, backup via FW2; vm3 (IPv6) via FW1
ip -n $P-r route add 198.18.100.1/32 via 198.18.10.2
ip -n $P-r route add 2001:db8:100::1/128 via 2001:db8:10::2
ip -n $P-r route add 198.18.100.2/32 via 198.18.10.2 metric 10
ip -n $P-r route add 198.18.100.2/32 via 198.18.20.2 metric 20
ip -n $P-r route add 2001:db8:100::2/128 via 2001:db8:10::2 metric 10
ip -n $P-r route add 2001:db8:100::2/128 via 2001:db8:20::2 metric 20
ip -n $P-r route add 2001:db8:100::3/128 via 2001:db8:10::2

cat > "$DIR/tde.conf" <<CONF
[tde]
debounce_ms = 1000
[watch nve3]
netns = $P-r
[watch edge1]
netns = $P-f1
[watch edge2]
netns = $P-f2
[host fw1]
id = 1
gateway = 198.18.10.2, 2001:db8:10::2
interface = edge1/f1-vm4
[host fw2]
id = 2
gateway = 198.18.20.2
interface = nve3/r-f2, edge2/f2-vm4
[vm vm1]
zone = 7
address = 198.18.100.1, 2001:db8:100::1
mac = 02:00:00:00:01:01
[vm vm2]
zone = 7
address = 198.18.100.2
address = 2001:db8:100::2
[vm vm3]
zone = 7
address = 2001:db8:100::3
[vm vm4]
zone = 8
address = 198.18.100.4
mac = 02:00:00:00:04:04
CONF

# vm4 shows up in f1's neighbour table (by its MAC)
ip netns exec $P-f1 ping -6 -c 1 -W 2 fe80::4%f1-vm4 >/dev/null || fail "ping vm4 from f1"

# ---- helpers -----------------------------------------------------------------
"$TDE" --config "$DIR/tde.conf" > "$DIR/out" 2> "$DIR/err" &
TDE_PID=$!

# wait_for FILE PATTERN: up to 20 s (a bound on a hang, not a measure).
wait_for() {
	local _
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$TDE_PID" 2>/dev/null || fail "ferry-tde died"
		sleep 0.1
	done
	return 1
}
# wait_lines N: the N-th notification.
wait_lines() {
	local _
	for _ in $(seq 200); do
		[ "$(wc -l < "$DIR/out")" -ge "$1" ] && return 0
		kill -0 "$TDE_PID" 2>/dev/null || fail "ferry-tde died"
		sleep 0.1
	done
	fail "no notification $1 within 20 s: $(cat "$DIR/out")"
}
# seen N PATTERN: ferry-tde has logged PATTERN N times.
seen() {
	local _
	for _ in $(seq 200); do
		[ "$(grep -c "$2" "$DIR/err")" -ge "$1" ] && return 0
		kill -0 "$TDE_PID" 2>/dev/null || fail "ferry-tde died"
		sleep 0.1
	done
	fail "ferry-tde did not log '$2' $1 times in 20 s"
}
# vm1_via GW4 GW6: the routes toward vm1 in tde-r.
vm1_via() {
	ip -n $P-r -batch - <<B || fail "vm1 routes"
route replace 198.18.100.1/32 via $1
route replace 2001:db8:100::1/128 via $2
B
}
# expect N VM FROM TO [REASON]: notification N is exactly this one.
expect() {
	local n=$1 line got
	wait_lines "$n"
	line=$(sed -n "${n}p" "$DIR/out")
	got=$(echo "$line" | jq -r '"\(.vm) \(.from) \(.to)"') || fail "not JSON: $line"
	[ "$got" = "$2 $3 $4" ] || fail "notification $n is '$got', not '$2 $3 $4': $line"
	if [ -n "${5:-}" ]; then
		got=$(echo "$line" | jq -r .reason)
		[ "$got" = "$5" ] || fail "notification $n: reason $got, not $5"
	fi
	echo "$line"
}

wait_for "$DIR/err" "^ready" || fail "ferry-tde not ready"
grep -q "vm vm1: host fw1 (1)" "$DIR/err" || fail "vm1 not learnt on fw1"
grep -q "vm vm2: host fw1 (1)" "$DIR/err" || fail "vm2 not learnt on fw1"
grep -q "vm vm3: host fw1 (1)" "$DIR/err" || fail "vm3 not learnt on fw1"
grep -q "vm vm4: host fw1 (1)" "$DIR/err" || fail "vm4 not learnt on fw1"
ok "initial hosts learnt, nothing notified"

# ---- 1. vm1 moves from f1 to f2 ------------------------------------------------
ip -n $P-f1 link set f1-vm1 netns $P-f2 || fail "move link"
ip -n $P-f2 link set f1-vm1 up
ip -n $P-f2 route add 198.18.100.1/32 dev f1-vm1
ip -n $P-f2 route add 2001:db8:100::1/128 dev f1-vm1
ip -n $P-r route replace 198.18.100.1/32 via 198.18.20.2
ip -n $P-r route replace 2001:db8:100::1/128 via 2001:db8:20::2
line=$(expect 1 vm1 1 2 route) || exit 1
echo "$line" | jq -e '.zone == 7 and .mac == "02:00:00:00:01:01" and
	.addresses == ["198.18.100.1", "2001:db8:100::1"]' >/dev/null ||
	fail "vm1's identity: $line"
ok "scenario 1: vm1 moved fw1 -> fw2, one notification with its identity"

# ---- 2. a flap of vm1 that comes back --------------------------------------------
vm1_via 198.18.10.2 2001:db8:10::2
seen 1 "vm vm1: candidate host 1 (route), from host 2"
vm1_via 198.18.20.2 2001:db8:20::2
seen 1 "vm vm1: candidate host 1 dropped"

# ---- 3. the FW1 path goes down ------------------------------------------------------
ip -n $P-r link set r-f1 down
expect 2 vm2 1 2 link || exit 1
ok "flap of vm1 within the debounce: no notification"
ok "scenario 2: FW1 path down, vm2 rerouted via fw2: one notification (link)"
ip -n $P-r link set r-f1 up
# IPv6 addresses go with the link (keep_addr_on_down=0): put it back
ip -n $P-r addr add 2001:db8:10::1/64 dev r-f1 nodad 2>/dev/null
ip -n $P-r route add 198.18.100.2/32 via 198.18.10.2 metric 10 2>/dev/null
ip -n $P-r route add 2001:db8:100::2/128 via 2001:db8:10::2 metric 10 2>/dev/null
ip -n $P-r route add 2001:db8:100::3/128 via 2001:db8:10::2 2>/dev/null
expect 3 vm2 2 1 || exit 1
ok "FW1 path back: vm2 back to fw1"

# ---- 4. a flap of vm1 that ends on another host ---------------------------------------
vm1_via 198.18.10.2 2001:db8:10::2
seen 2 "vm vm1: candidate host 1 (route), from host 2"
vm1_via 198.18.20.2 2001:db8:20::2
seen 2 "vm vm1: candidate host 1 dropped"
vm1_via 198.18.10.2 2001:db8:10::2
expect 4 vm1 2 1 || exit 1

# ---- 5. vm3, IPv6 only -------------------------------------------------------------
ip -n $P-r -6 route replace 2001:db8:100::3/128 via 2001:db8:20::2
expect 5 vm3 1 2 route || exit 1
ok "flap of vm1 ending on fw1: one notification for the net change"
ok "IPv6-only vm3 moved: one notification"

# ---- 6. vm4 appears behind f2 --------------------------------------------------------
ip -n $P-f1 link set f1-vm4 netns $P-f2 || fail "move vm4's link"
ip -n $P-f2 link set f1-vm4 name f2-vm4
ip -n $P-f2 link set f2-vm4 up
ip -n $P-f2 addr add fe80::2/64 dev f2-vm4 nodad
ip netns exec $P-f2 ping -6 -c 1 -W 2 fe80::4%f2-vm4 >/dev/null || fail "ping vm4 from f2"
line=$(expect 6 vm4 1 2 neigh) || exit 1
echo "$line" | jq -e '.zone == 8 and .mac == "02:00:00:00:04:04"' >/dev/null || fail "vm4: $line"
ok "vm4's MAC behind edge f2: one notification (neigh)"

# ---- 7. vm4's address behind f1 again; f2's entry stays -----------------------------
ip -n $P-f1 link add f1-vm4 type veth peer name f1-vm4p || fail "veth f1-vm4"
ip -n $P-f1 link set f1-vm4p up
ip -n $P-f1 link set f1-vm4 up
ip -n $P-f1 neigh replace 198.18.100.4 lladdr 02:00:00:00:04:05 dev f1-vm4 nud reachable ||
	fail "neighbour entry in f1"
ip -n $P-f2 neigh show dev f2-vm4 | grep -q "fe80::4 .*02:00:00:00:04:04" || fail "f2's entry is gone"
expect 7 vm4 2 1 neigh || exit 1
ok "vm4's address behind f1, the latest of two edges: one notification (neigh)"

# ---- nothing else, and a clean exit on SIGTERM -----------------------------------------
kill -TERM "$TDE_PID"
wait "$TDE_PID"
rc=$?
TDE_PID=
[ "$rc" -eq 0 ] || fail "ferry-tde exited $rc on SIGTERM"
n=$(wc -l < "$DIR/out")
[ "$n" -eq 7 ] || fail "$n notifications, not 7: $(cat "$DIR/out")"
ok "7 notifications in all, clean exit on SIGTERM"

# ---- the explicit notify ---------------------------------------------------------------
line=$("$TDE" notify --config "$DIR/tde.conf" --vm vm2 --from fw1 --to 2) || fail "notify"
echo "$line" | jq -e '.vm == "vm2" and .from == 1 and .to == 2 and .reason == "explicit"
	and .addresses == ["198.18.100.2", "2001:db8:100::2"]' >/dev/null || fail "notify: $line"
"$TDE" notify --zone 3 --addr 198.18.1.1 --from 1 --to 1 2>/dev/null && fail "notify --from = --to accepted"
"$TDE" notify --zone 3 --addr 198.18.1.x --from 1 --to 2 2>/dev/null && fail "notify bad address accepted"
ok "ferry-tde notify"

# ---- the libvirt hook example, as libvirt calls it on a migration's destination --------
HOOK=$PWD/docs/examples/libvirt-qemu-hook
cat > "$DIR/hook.env" <<ENV
FERRY_TDE=$TDE
FERRY_TDE_CONFIG=$DIR/tde.conf
FERRY_TDE_HOST=fw2
FERRY_TDE_STATE_DIR=$DIR/hook
FERRY_TDE_HOOK_LOG=$DIR/hook.log
ENV
export FERRY_TDE_HOOK_ENV=$DIR/hook.env
xml='<domain type="kvm"><name>vm1</name><metadata><ferry:host xmlns:ferry="urn:ferry:tde" id="1"/></metadata></domain>'
out=$(echo "$xml" | "$HOOK" vm1 migrate begin -) || fail "hook: migrate begin"
echo "$out" | grep -q '<ferry:host xmlns:ferry="urn:ferry:tde" id="fw2"/>' || fail "hook: XML not updated: $out"
jq -e -s 'length == 1 and .[0].vm == "vm1" and .[0].from == 1 and .[0].to == 2
	and .[0].reason == "explicit"' "$DIR/hook.log" >/dev/null ||
	fail "hook: no notification at migrate begin (the pre-copy): $(cat "$DIR/hook.log")"
echo "$xml" | "$HOOK" vm1 prepare begin - >/dev/null || fail "hook: prepare"
[ "$(wc -l < "$DIR/hook.log")" -eq 1 ] || fail "hook notified at prepare"
echo "$xml" | "$HOOK" vm1 started begin - || fail "hook: started begin"
jq -e -s 'length == 2 and .[1].vm == "vm1" and .[1].from == 1 and .[1].to == 2
	and .[1].reason == "explicit"' "$DIR/hook.log" >/dev/null || fail "hook: $(cat "$DIR/hook.log")"
echo "$xml" | "$HOOK" vm1 started begin - || fail "hook: plain start"
[ "$(wc -l < "$DIR/hook.log")" -eq 2 ] || fail "hook notified a start that is no migration"
ok "libvirt hook example: an incoming migration notified before the switch and once the guest runs"

# ---- errors at start ----------------------------------------------------------------
sed 's/^netns = tde-r$/netns = tde-nonexistent/' "$DIR/tde.conf" > "$DIR/bad.conf"
"$TDE" --config "$DIR/bad.conf" > /dev/null 2> "$DIR/bad.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "/run/netns/tde-nonexistent: No such file or directory" "$DIR/bad.err" ||
	fail "missing namespace: exit $rc, $(cat "$DIR/bad.err")"
printf '[watch w]\nnetns = x\n[host h]\nid = 1\nid = 2\n' > "$DIR/bad.conf"
"$TDE" --check --config "$DIR/bad.conf" 2> "$DIR/bad.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "^ferry-tde: $DIR/bad.conf:5: \[host h\] duplicate key 'id' (first at line 4)$" "$DIR/bad.err" ||
	fail "bad config: exit $rc, $(cat "$DIR/bad.err")"
"$TDE" --check --config docs/examples/ferry-tde.conf || fail "--check of the example"
ok "errors at start: a missing namespace, a bad config"
