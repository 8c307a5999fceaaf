#!/bin/bash
# The draft's two scenarios on the Figure 1 testbed, without state
# migration (the control run): FW1 and FW2 run Ferry with the same rules;
# when VM1 moves (scenario 1) or FW1's path breaks (scenario 2), VM1's live
# TCP flows to VM3 cross FW2, which drops their packets as unknown, and the
# flows stall - while a new connection over the same path works. This is
# what state migration has to fix, and proves its tests can fail.
cd "$(dirname "$0")/../.." || exit 1
. selftests/net/lib.sh
. selftests/net/fig1.sh
FLOWCHECK=${BUILD:-build}/selftests/bin/flowcheck

[ -x "$FERRYCTL" ] || fail "no $FERRYCTL (make first)"

rules=$(mktemp)
cat > "$rules" <<'RULES'
allow proto tcp from 198.18.10.0/24 to 198.18.30.0/24 dport 5201
allow proto tcp from 2001:db8:10::/64 to 2001:db8:30::/64 dport 5201
allow proto icmp from 198.18.10.0/24 to 198.18.30.0/24
RULES

trap 'fig1_teardown; rm -f "$rules"' EXIT

fwstat() { fwctl "$1" stats --json | jq ".\"$2\".packets"; }

# scenario NAME CHANGE: flows VM1 -> VM3 (IPv4 and IPv6) through FW1, then
# CHANGE moves them to FW2 without migrating state.
scenario() {
	local name=$1 change=$2 v4 v6 rc4 rc6

	fig1_setup fc
	for fw in $FW1 $FW2; do
		fwctl "$fw" load --iface west --iface east --rules "$rules" >/dev/null ||
			fail "load Ferry on $fw"
	done
	bg "$VM3" "$FLOWCHECK" server 5201
	sleep 1
	check "$name: a short flow through FW1 works" \
		ip netns exec "$VM1" "$FLOWCHECK" client 198.18.30.1 5201 1000000
	v4=$(mktemp) v6=$(mktemp)
	ip netns exec "$VM1" "$FLOWCHECK" stream 198.18.30.1 5201 8 > "$v4" 2>&1 &
	local p4=$!
	ip netns exec "$VM1" "$FLOWCHECK" stream 2001:db8:30::1 5201 8 > "$v6" 2>&1 &
	local p6=$!
	sleep 2
	check "$name: FW1 tracks the live flows" \
		[ "$(fwctl "$FW1" ct list --json | jq '[.[] | select(.state == "ESTABLISHED" and .dport == 5201)] | length')" -ge 2 ]
	before=$(fwstat "$FW2" drop-invalid)
	$change
	wait $p4; rc4=$?
	wait $p6; rc6=$?
	echo "  IPv4 flow: $(tr '\n' ' ' < "$v4")"
	echo "  IPv6 flow: $(tr '\n' ' ' < "$v6")"
	rm -f "$v4" "$v6"
	check "$name: without migration the IPv4 flow stalls (exit $rc4)" [ $rc4 -eq 3 ]
	check "$name: without migration the IPv6 flow stalls (exit $rc6)" [ $rc6 -eq 3 ]
	after=$(fwstat "$FW2" drop-invalid)
	check "$name: FW2 dropped their packets as unknown ($before -> $after)" \
		[ "$after" -gt "$before" ]
	check "$name: a new connection over FW2's path works" \
		ip netns exec "$VM1" timeout 20 "$FLOWCHECK" client 198.18.30.1 5201 1000000
	fig1_teardown
}

scenario "scenario 1 (VM1 moves to Server2)" fig1_move_vm1
scenario "scenario 2 (FW1's path breaks)" fig1_break_fw1_path
echo "all checks passed"
