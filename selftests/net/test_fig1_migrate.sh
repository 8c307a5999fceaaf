#!/bin/bash
# The draft's two scenarios end to end on the Figure 1 testbed, with the
# whole system running: ferry-soa on FW1 and FW2 (same rules), ferry-som and
# ferry-tde on the management network. Live TCP flows, opened from both
# sides, IPv4 and IPv6, run VM1 <-> VM3 through FW1, and VM2 -> VM3 too.
# VM1's connections to VM3 leave through source NAT (the same pool on both
# firewalls), VM3's to VM1 do not. Scenario 1: VM1 moves to Server2, twice over: once announced by the
# hypervisor's migration hook before the switch (ferry-tde notify: the SOM
# moves the state ahead, then the TDE's own detection of the switch finds
# it all there), once noticed by the TDE alone. Scenario 2: FW1's path
# breaks, noticed by the TDE. Each time the SOM migrates the VM's state
# from FW1 to FW2, and every flow survives with every byte intact; FW2
# accepted exactly the moved VMs' flows, and VM2's flow is untouched where
# it did not move. A second tenant (VNI2) reuses VM1's and VM3's addresses
# in zone 2 through FW1: its flows are never taken for VM1's.
# (test_fig1_control.sh is the same without migration: the flows stall.)
cd "$(dirname "$0")/../.." || exit 1
. selftests/net/lib.sh
. selftests/net/fig1.sh
. selftests/net/fig1ctl.sh
FLOWCHECK=$PWD/${BUILD:-build}/selftests/bin/flowcheck

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$FERRYCTL" ] || fail "no $FERRYCTL (make first)"
rules=$(mktemp)
cat > "$rules" <<'RULES'
allow proto tcp from 198.18.10.0/23 to 198.18.30.0/24 dport 5201
allow proto tcp from 2001:db8:10::/64 to 2001:db8:30::/64 dport 5201
allow proto tcp from 198.18.30.0/24 to 198.18.10.0/24 dport 5202
allow proto tcp from 2001:db8:30::/64 to 2001:db8:10::/64 dport 5202
RULES
trap 'fig1_teardown; fig1ctl_cleanup; rm -f "$rules"' EXIT

# Scenario 1 as the hypervisor runs it: its hook first, the switch after
# the state is on FW2.
hooked_move_vm1() {
	local m
	fig1_hook_notify vm1 fw1 fw2 || fail "ferry-tde notify"
	m=$(fig1_wait_migrations vm1 1 10) || fail "no migration after the hook"
	echo "  vm1 (hook, before the switch): $(echo "$m" | jq -c '{phase, reason, flows, accepted, rejected, ms}')"
	check "the hook's migration moved VM1's 8 flows before the switch" \
		[ "$(echo "$m" | jq -r '"\(.phase) \(.reason) \(.accepted)"')" = "done ok 8" ]
	fig1_move_vm1
	# the TDE sees the switch: its migration finds every flow there
	m=$(fig1_wait_migrations vm1 2 10) || fail "the TDE's migration did not come"
	echo "  vm1 (TDE, after the switch): $(echo "$m" | jq -c '{phase, reason, flows, accepted, rejected, ms}')"
	check "the TDE's migration after the switch found all 8 there already" \
		[ "$(echo "$m" | jq -r '"\(.phase) \(.reason) \(.accepted) \(.flows)"')" = "done ok 0 8" ]
	HOOK_ACCEPTED=8
}

# scenario NAME CHANGE MOVED...: the VMs named move (vm1, or vm1 and vm2).
scenario() {
	local name=$1 change=$2 vm m i moved_flows=0 vm2_fw1
	HOOK_ACCEPTED=

	fig1_setup fm
	fig1ctl_setup fm "$rules" "$rules"
	fig1_flows_start 8 2
	sleep 2
	check "$name: FW1 tracks VM1's 8 flows" [ "$(fig1_fw_flows "$FW1" 10)" -eq 8 ]
	check "$name: the 4 VM1 opened leave through source NAT" \
		[ "$(fig1_fw_snat_flows "$FW1")" -eq 4 ]
	check "$name: and VM2's" [ "$(fig1_fw_flows "$FW1" 11)" -eq 1 ]
	check "$name: and VNI2's 2 flows with VM1's addresses, in zone 2" \
		[ "$(fig1_fw_flows "$FW1" 10 2)" -eq 2 ]
	check "$name: FW2 tracks none" [ "$(agentctl "$FW2" ct list --json | jq length)" -eq 0 ]
	$change
	shift 2
	[ -n "$HOOK_ACCEPTED" ] && { moved_flows=$HOOK_ACCEPTED; set --; }
	for vm in "$@"; do
		m=$(fig1_wait_migration "$vm" 10) ||
			{ som_migrations; cat "$FIG1_DIR"/*.log | tail -30; fail "$name: no migration of $vm"; }
		echo "  $vm: $(echo "$m" | jq -c '{phase, reason, flows, accepted, rejected, ms}')"
		check "$name: the SOM migrated $vm from host 1 to host 2" \
			[ "$(echo "$m" | jq -r '"\(.phase) \(.reason) \(.from) \(.to)"')" = "done ok 1 2" ]
		moved_flows=$((moved_flows + $(echo "$m" | jq .accepted)))
	done
	vm2_fw1=$(fig1_fw_flows "$FW1" 11)
	fw2_snat=$(fig1_fw_snat_flows "$FW2")
	vni2_fw1=$(fig1_fw_flows "$FW1" 10 2)
	vni2_fw2=$(agentctl "$FW2" ct list --json | jq '[.[] | select(.zone == 2)] | length')
	fig1_flows_wait
	printf '%s' "$FLOWS_REPORT"
	check "$name: every flow survived with every byte intact" [ "$FLOWS_BROKEN" = 0 ]
	check "$name: VNI2's flows stayed on FW1, in zone 2 ($vni2_fw1)" [ "$vni2_fw1" = 2 ]
	check "$name: none of VNI2's flows crossed to FW2 ($vni2_fw2)" [ "$vni2_fw2" = 0 ]
	check "$name: FW2 took their 4 NAT bindings too" [ "$fw2_snat" -eq 4 ]
	if [ $# -le 1 ]; then
		check "$name: FW2 accepted exactly VM1's 8 flows" [ "$moved_flows" = 8 ]
		check "$name: FW2 holds no flow of VM2" [ "$(fig1_fw_flows "$FW2" 11)" = 0 ]
		check "$name: VM2's flow stayed on FW1" [ "$vm2_fw1" = 1 ]
	else
		check "$name: FW2 accepted exactly VM1's 8 and VM2's 1 flows" [ "$moved_flows" = 9 ]
	fi
	fig1_teardown
	fig1ctl_cleanup
}

scenario "scenario 1 (VM1 moves, the hypervisor's hook first)" hooked_move_vm1 vm1
scenario "scenario 1 (VM1 moves, the TDE notices)" fig1_move_vm1 vm1
scenario "scenario 2 (FW1's path breaks)" fig1_break_fw1_path vm1 vm2
echo "all checks passed"
