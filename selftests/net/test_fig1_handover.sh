#!/bin/bash
# The draft's scenarios with the state handed over by hand (ferryctl export
# on FW1, import on FW2), as the SOM will do it: VM1's live flows survive
# the move and the path failure, with their content intact; FW2 accepted
# exactly VM1's flows. And the import's guards: flows FW2's rules deny are
# rejected with the reason, a bundle that does not fit is refused whole, a
# malformed bundle changes nothing.
cd "$(dirname "$0")/../.." || exit 1
. selftests/net/lib.sh
. selftests/net/fig1.sh
FLOWCHECK=${BUILD:-build}/selftests/bin/flowcheck

[ -x "$FERRYCTL" ] || fail "no $FERRYCTL (make first)"
tmp=$(mktemp -d)
cat > "$tmp/rules" <<'RULES'
allow proto tcp from 198.18.10.0/24 to 198.18.30.0/24 dport 5201
allow proto tcp from 2001:db8:10::/64 to 2001:db8:30::/64 dport 5201
allow proto tcp from 198.18.10.0/24 to 198.18.30.0/24 dport 5202
RULES
# FW2 is stricter: port 5202 is not allowed there.
head -n 2 "$tmp/rules" > "$tmp/rules-fw2"

trap 'fig1_teardown; rm -rf "$tmp"' EXIT

flows_on() {	# established flows on FW to VM3 port P
	fwctl "$1" ct list --json 2>/dev/null |
		jq "[.[] | select(.dport == $2 and .state == \"ESTABLISHED\")] | length"
}

# scenario NAME CHANGE: live flows VM1 -> VM3 through FW1 (IPv4, IPv6, and
# one to port 5202 that FW2's rules deny); hand VM1's state over; CHANGE.
scenario() {
	local name=$1 change=$2 p4 p6 p7 rc4 rc6 out

	fig1_setup fh
	fwctl "$FW1" load --iface west --iface east --rules "$tmp/rules" >/dev/null ||
		fail "load FW1"
	fwctl "$FW2" load --iface west --iface east --rules "$tmp/rules-fw2" >/dev/null ||
		fail "load FW2"
	bg "$VM3" "$FLOWCHECK" server 5201
	bg "$VM3" "$FLOWCHECK" server 5202
	sleep 1
	ip netns exec "$VM1" "$FLOWCHECK" stream 198.18.30.1 5201 8 > "$tmp/v4" 2>&1 &
	p4=$!
	ip netns exec "$VM1" "$FLOWCHECK" stream 2001:db8:30::1 5201 8 > "$tmp/v6" 2>&1 &
	p6=$!
	ip netns exec "$VM1" "$FLOWCHECK" stream 198.18.30.1 5202 8 > "$tmp/v7" 2>&1 &
	p7=$!
	sleep 2
	check "$name: FW1 tracks the 3 live flows" [ "$(flows_on "$FW1" 5201)" -eq 2 -a "$(flows_on "$FW1" 5202)" -eq 1 ]

	fwctl "$FW1" export --vm 0:198.18.10.1 --vm 0:2001:db8:10::1 > "$tmp/bundle" ||
		fail "$name: export"
	out=$(fwctl "$FW2" import < "$tmp/bundle") || fail "$name: import"
	echo "  $out"
	check "$name: FW2 accepted VM1's 2 allowed flows, rejected the denied one" \
		[ -n "$(echo "$out" | grep 'accepted=2 denied-by-rules=1 exists=0')" ]
	check "$name: FW2 holds exactly those 2 flows" \
		[ "$(fwctl "$FW2" ct list --json | jq 'length')" -eq 2 ]
	$change
	wait $p4; rc4=$?
	wait $p6; rc6=$?
	wait $p7
	echo "  IPv4 flow: $(tr '\n' ' ' < "$tmp/v4")"
	echo "  IPv6 flow: $(tr '\n' ' ' < "$tmp/v6")"
	echo "  flow FW2 denies: $(tr '\n' ' ' < "$tmp/v7")"
	check "$name: the IPv4 flow survived, every byte intact" [ $rc4 -eq 0 ]
	check "$name: the IPv6 flow survived, every byte intact" [ $rc6 -eq 0 ]
	check "$name: both imported flows carried the rest of the transfer through FW2" \
		[ "$(fwctl "$FW2" ct list --json | jq '[.[] | select(.dport == 5201 and .bytes[0] > 1000000)] | length')" -eq 2 ]
	fig1_teardown
}

scenario "scenario 1 (VM1 moves to Server2)" fig1_move_vm1
scenario "scenario 2 (FW1's path breaks)" fig1_break_fw1_path

# The guards, on a small FW2 table.
fig1_setup fh
fwctl "$FW1" load --iface west --iface east --rules "$tmp/rules" >/dev/null || fail "load FW1"
fwctl "$FW2" load --iface west --iface east --rules "$tmp/rules" --ct-max 2 >/dev/null ||
	fail "load FW2"
bg "$VM3" "$FLOWCHECK" server 5201
sleep 1
for dst in 198.18.30.1 198.18.30.1 2001:db8:30::1; do
	ip netns exec "$VM1" "$FLOWCHECK" stream $dst 5201 4 >/dev/null 2>&1 &
	PIDS+=($!)
done
sleep 1
fwctl "$FW1" export > "$tmp/three" || fail "export"
fwctl "$FW1" export --vm 0:198.18.10.1 > "$tmp/two" || fail "export --vm"
fwctl "$FW1" export --vm 0:2001:db8:10::1 > "$tmp/one" || fail "export --vm"
out=$(fwctl "$FW2" import < "$tmp/three" 2>&1)
check "a bundle of 3 flows for a table of 2 is refused whole ($out)" \
	[ -n "$(echo "$out" | grep 'nothing imported: bundle 0 header: 3 flows, room for 2')" ]
check "the refused import left FW2's table empty" \
	[ "$(fwctl "$FW2" ct list --json | jq 'length')" -eq 0 ]
out=$(fwctl "$FW2" import < "$tmp/one")
check "one flow fits ($out)" [ -n "$(echo "$out" | grep 'accepted=1 ')" ]
out=$(fwctl "$FW2" import < "$tmp/two" 2>&1)
check "two more do not fit beside it: refused whole ($out)" \
	[ -n "$(echo "$out" | grep 'do not fit')" ]
check "FW2 still holds just the one flow" \
	[ "$(fwctl "$FW2" ct list --json | jq 'length')" -eq 1 ]
head -c $(( $(stat -c %s "$tmp/one") - 3 )) "$tmp/one" > "$tmp/cut"
out=$(fwctl "$FW2" import < "$tmp/cut" 2>&1)
check "a truncated bundle is refused ($out)" \
	[ -n "$(echo "$out" | grep 'bundle refused, nothing imported')" ]
printf 'garbage' > "$tmp/garbage"
out=$(fwctl "$FW2" import < "$tmp/garbage" 2>&1)
check "garbage is refused ($out)" [ -n "$(echo "$out" | grep 'bundle refused')" ]
check "FW2's table is unchanged" [ "$(fwctl "$FW2" ct list --json | jq 'length')" -eq 1 ]
out=$(fwctl "$FW1" import --dry-run < "$tmp/three")
check "importing FW1's own flows back: each exists ($out)" \
	[ -n "$(echo "$out" | grep 'accepted=0 denied-by-rules=0 exists=3')" ]
echo "all checks passed"
