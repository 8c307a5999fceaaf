#!/bin/bash
# Ferry demo: the draft's Figure 1 in network namespaces with the whole
# system running (ferry-soa on FW1 and FW2, ferry-som and ferry-tde on a
# management network), live TCP flows between VM1 and VM3 (both
# directions, IPv4 and IPv6) and from VM2, then the draft's scenario 1: VM1
# moves from Server1 to Server2. The hypervisor's migration hook announces
# the move (ferry-tde notify) and the SOM moves VM1's state from FW1 to FW2
# before the switch; after it the TDE sees the route change, and its own
# migration finds every flow there. DEMO_SCENARIO=2: FW1's path breaks,
# which only the TDE can notice. The report shows the migrations and every
# flow's fate; then the same change without Ferry's migration, for
# comparison. Everything is removed at the end, also on failure or Ctrl-C.
set -u
cd "$(dirname "$0")/.." || exit 1
. selftests/net/lib.sh
. selftests/net/fig1.sh
. selftests/net/fig1ctl.sh
FLOWCHECK=$PWD/${BUILD:-build}/selftests/bin/flowcheck
SCENARIO=${DEMO_SCENARIO:-1}
SECS=10

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step() { printf '   %s\n' "$*"; }
# A failure of the demo's own steps ends it with the reason.
fail() { printf '\ndemo failed: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root" >&2; exit 1; }
[ -x "$FERRYCTL" ] || { echo "demo: build first (make)" >&2; exit 1; }
case $SCENARIO in
1) change=fig1_move_vm1 what="VM1 moves from Server1 to Server2 (its NIC from Server1's switch to Server2's)" ;;
2) change=fig1_break_fw1_path what="the path through FW1 breaks (NVE1's link to FW1 goes down)" ;;
*) echo "demo: DEMO_SCENARIO is 1 or 2" >&2; exit 2 ;;
esac
rules=$(mktemp)
trap 'fig1_teardown; fig1ctl_cleanup; rm -f "$rules"' EXIT INT TERM
cat > "$rules" <<'RULES'
allow proto tcp from 198.18.10.0/23 to 198.18.30.0/24 dport 5201
allow proto tcp from 2001:db8:10::/64 to 2001:db8:30::/64 dport 5201
allow proto tcp from 198.18.30.0/24 to 198.18.10.0/24 dport 5202
allow proto tcp from 2001:db8:30::/64 to 2001:db8:10::/64 dport 5202
RULES

fw_counts() {	# FW: "N flows (VM1 a, b of them NATed; VM2 c, VNI2 d)"
	printf '%2s flows (VM1 %s, %s of them through source NAT; VM2 %s; VNI2 %s)' \
		"$(agentctl "$1" ct list --json | jq '[.[] | select(.state == "ESTABLISHED")] | length')" \
		"$(fig1_fw_flows "$1" 10)" "$(fig1_fw_snat_flows "$1")" \
		"$(fig1_fw_flows "$1" 11)" "$(fig1_fw_flows "$1" 10 2)"
}

say "Testbed: the draft's Figure 1 in network namespaces"
cat <<'PIC'
   VM1 198.18.10.1 --- NVE1 --- FW1 ---.
   VM2 198.18.11.1 ---'  |              NVE3 --- VM3 198.18.30.1
                        NVE2 --- FW2 ---'
   VNI2 (another tenant, zone 2 on FW1): VM1' 198.18.10.1 -- NVE1 -- FW1 -- NVE3 -- VM3' 198.18.30.1
   management 198.18.250.0/24: ferry-som, ferry-tde; ferry-soa on FW1 (host 1), FW2 (host 2)
PIC
fig1_setup demo
fig1ctl_setup demo "$rules" "$rules"
step "ferry-soa on FW1 and FW2 loaded the datapath (XDP) with the same rules:"
sed 's/^/      /' "$rules"
step "both agents authenticated to the SOM and registered:"
som_status | grep '^host ' | sed 's/ key [^ ]*//; s/^/      /'
step "the TDE is connected and watches NVE3's routes toward the VMs"

say "Live flows: 11 paced TCP streams for $SECS s, every byte checked"
fig1_flows_start $SECS 2
sleep 2
step "VM1 -> VM3 (2 IPv4, 2 IPv6; source NAT to 198.18.60.1 / 2001:db8:60::1 on"
step "either firewall), VM3 -> VM1 (2 IPv4, 2 IPv6), VM2 -> VM3 (IPv4),"
step "and VNI2's VM1' -> VM3' (IPv4, IPv6) with the very same addresses"
fw1_before=$(fw_counts "$FW1") fw2_before=$(fw_counts "$FW2")
step "FW1: $fw1_before"
step "FW2: $fw2_before"

say "Scenario $SCENARIO: $what"
t0=$(date +%s%N)
if [ "$SCENARIO" = 1 ]; then
	step "the hypervisor's migration hook tells the TDE first (ferry-tde notify)…"
	fig1_hook_notify vm1 fw1 fw2 || fail "ferry-tde notify"
	fig1_wait_migrations vm1 1 10 >/dev/null || { som_migrations; fail "no migration after the hook"; }
	step "…and the SOM moved VM1's state to FW2 while VM1 still runs on Server1"
	$change
	step "VM1 switched to Server2: its traffic crosses FW2 now"
	fig1_wait_migrations vm1 2 10 >/dev/null || { som_migrations; fail "no migration after the switch"; }
	step "the TDE saw the route change; its migration found VM1's flows on FW2 already"
else
	$change
	step "done; traffic now crosses FW2, which knows none of these flows yet"
	m=$(fig1_wait_migration vm1 10) || { som_migrations; fail "no migration of VM1 within 10 s"; }
	fig1_wait_migration vm2 10 >/dev/null || fail "no migration of VM2"
	step "the TDE saw the route change, the SOM ran the migrations"
fi
sleep 1
fw1_after=$(fw_counts "$FW1") fw2_after=$(fw_counts "$FW2")
step "waiting for the flows to finish…"
fig1_flows_wait

say "Migration report"
som_migrations | jq -r '.[] | "   \(.vm): host \(.from) (FW1) -> host \(.to) (FW2), \(.phase) (\(.reason)), id \(.id[0:12])…
     flows exported \(.flows), accepted \(.accepted), rejected \(.rejected)\(if .accepted == 0 and .rejected == .flows and .flows > 0 then " (each one on FW2 already)" else "" end)
     phases (ms after the notice): order sent \(.ms.order), first chunk \(.ms.first_chunk), installed on FW2 \(.ms.installed), source released \(.ms.released)"'
step "FW1 before/after the move: $fw1_before / $fw1_after"
step "FW2 before/after the move: $fw2_before / $fw2_after"
step "(FW1 keeps VM1's copies until they expire: the source releases, it does not delete)"
printf '   per flow:\n%s' "$FLOWS_REPORT"
max=0
for s in "${FLOW_STALL[@]}"; do [ "$s" != - ] && [ "$s" -gt "$max" ] && max=$s; done
step "with migration: $FLOWS_OK of $((FLOWS_OK + FLOWS_BROKEN)) flows alive, longest stall $max ms"
ok_with=$FLOWS_OK broken_with=$FLOWS_BROKEN
fig1_teardown
fig1ctl_cleanup

say "Control run: the same move with Ferry on both firewalls but no migration"
unset VM1B VM3B
fig1_setup democ
for fw in $FW1 $FW2; do
	fwctl "$fw" load --iface west --iface east --rules "$rules" >/dev/null || fail "load $fw"
done
FIG1_DIR=$(mktemp -d)
fig1_flows_start 8 2
sleep 2
$change
step "moved; FW2 drops the flows' packets as unknown (no state), waiting for them…"
fig1_flows_wait
printf '%s' "$FLOWS_REPORT"
step "without migration: $FLOWS_BROKEN of $((FLOWS_OK + FLOWS_BROKEN)) flows broken"
fig1_teardown
fig1ctl_cleanup

say "Summary"
step "with Ferry's migration:    $ok_with alive, $broken_with broken (longest stall $max ms)"
step "without (control run):     $FLOWS_OK alive, $FLOWS_BROKEN broken"
step "took $(( ($(date +%s%N) - t0) / 1000000000 )) s from the move; testbed removed"
