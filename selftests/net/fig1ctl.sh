# The control plane on the Figure 1 testbed (fig1.sh): VM1's connections
# leave through source NAT on either firewall (pool 198.18.60.1 and
# 2001:db8:60::1, the same on both). A management
# namespace PREFIX-mgmt with a bridge, reached by FW1 and FW2 over a
# management veth each; ferry-som and ferry-tde run in it, ferry-soa in
# each firewall. Every part has its own Ed25519 key; the SOM's authorized
# keys name each one with its role, host id and management address. The
# TDE watches NVE3's routes: the route toward VM1 through FW1's next hop
# means host 1, through FW2's means host 2.
#
#   mgmt 198.18.250.254 / 2001:db8:250::fe (SOM :7400, TDE)
#   fw1 mgmt0 198.18.250.1 (host 1), fw2 mgmt0 198.18.250.2 (host 2)
#
# Source after lib.sh and fig1.sh; after fig1_setup PREFIX call
# fig1ctl_setup PREFIX RULES_FW1 RULES_FW2. fig1_teardown stops it all
# (fig1ctl_setup puts its processes in PIDS and its namespace in FIG1_NS).

SOA=$PWD/${BUILD:-build}/bin/ferry-soa
SOM=$PWD/${BUILD:-build}/bin/ferry-som
TDE=$PWD/${BUILD:-build}/bin/ferry-tde
FIG1_MGMT4=198.18.250.254
FIG1_SOM_PORT=7400

# ferryctl through the agent of a firewall namespace.
agentctl() { local fw=$1; shift; "$FERRYCTL" --socket /run/ferry/"$fw".sock --instance "$fw" "$@"; }
# The SOM's status and migrations.
som_status() { "$FERRYCTL" som status --som-socket "$FIG1_DIR/som.sock"; }
som_migrations() { "$FERRYCTL" som migrations --json --som-socket "$FIG1_DIR/som.sock"; }

fig1_keygen() { "$FERRYCTL" keygen --out "$FIG1_DIR/$1.key" >/dev/null || fail "keygen $1"; }
fig1_pub() { cat "$FIG1_DIR/$1.key.pub"; }

# fig1_wait SECONDS COMMAND...: poll until the command succeeds.
fig1_wait() {
	local n=$(( $1 * 10 )); shift
	while [ $n -gt 0 ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

fig1_mgmt_net() {
	local i fw
	MGMT=$1-mgmt
	FIG1_NS+=("$MGMT")
	ip netns del "$MGMT" 2>/dev/null
	ip netns add "$MGMT" || fail "cannot create namespace $MGMT"
	ip -n "$MGMT" link set lo up
	ip -n "$MGMT" link add br0 type bridge
	ip -n "$MGMT" addr add $FIG1_MGMT4/24 dev br0
	ip -n "$MGMT" addr add 2001:db8:250::fe/64 dev br0 nodad
	ip -n "$MGMT" link set br0 up
	i=1
	for fw in $FW1 $FW2; do
		ip link add mgmt0 netns "$fw" type veth peer name "mg$i" netns "$MGMT" ||
			fail "management veth of $fw"
		ip -n "$MGMT" link set "mg$i" master br0 up
		ip -n "$fw" addr add 198.18.250.$i/24 dev mgmt0
		ip -n "$fw" link set mgmt0 up
		i=$((i + 1))
	done
}

fig1_som_start() {
	fig1_keygen som
	{
		echo "$(fig1_pub fw1) soa 1 198.18.250.1/32"
		echo "$(fig1_pub fw2) soa 2 198.18.250.2/32"
		echo "$(fig1_pub tde) tde 100 $FIG1_MGMT4/32"
	} > "$FIG1_DIR/authorized_keys"
	cat > "$FIG1_DIR/som.conf" <<-CONF
	[som]
	identity_key = $FIG1_DIR/som.key
	authorized_keys = $FIG1_DIR/authorized_keys
	listen = $FIG1_MGMT4:$FIG1_SOM_PORT
	journal = $FIG1_DIR/som.journal
	control_socket = $FIG1_DIR/som.sock
	heartbeat_interval_ms = 500
	lost_timeout_ms = 2000
	CONF
	nsenter --net=/run/netns/"$MGMT" "$SOM" --config "$FIG1_DIR/som.conf" \
		2>>"$FIG1_DIR/som.log" &
	PIDS+=($!)
	fig1_wait 5 "$FERRYCTL" som status --som-socket "$FIG1_DIR/som.sock" >/dev/null ||
		{ cat "$FIG1_DIR/som.log"; fail "the SOM did not come up"; }
}

# fig1_soa_start FW HOSTID RULES: VNI1's interfaces in zone 0, VNI2's
# (where the firewall has them) in zone 2.
fig1_soa_start() {
	local fw=$1 id=$2 name=fw$2 vni2=
	ip -n "$fw" link show west2 >/dev/null 2>&1 &&
		vni2=$(printf '[interface west2]\nhook = xdp\nzone = 2\n[interface east2]\nhook = xdp\nzone = 2')
	cat > "$FIG1_DIR/$name.conf" <<-CONF
	[agent]
	instance = $fw
	host_id = $id
	control_socket = /run/ferry/$fw.sock
	[table]
	ct_max = ${FIG1_CT_MAX:-65536}
	gc_interval = 5
	[interface west]
	hook = xdp
	[interface east]
	hook = xdp
	$vni2
	[vm vm1]
	zone = 0
	addresses = 198.18.10.1, 2001:db8:10::1
	[vm vm2]
	zone = 0
	addresses = 198.18.11.1, 2001:db8:11::1
	# VM1's connections leave through source NAT, the same pool on both
	# firewalls, so that a binding FW1 made is FW2's to take.
	[snat-pool vm1]
	zone = 0
	addresses = 198.18.60.1
	ports = 1024-65535
	sources = 198.18.10.0/24
	[snat-pool vm1-6]
	zone = 0
	addresses = 2001:db8:60::1
	ports = 1024-65535
	sources = 2001:db8:10::/64
	[rules]
	file = $3
	[security]
	identity_key = $FIG1_DIR/$name.key
	som_address = $FIG1_MGMT4:$FIG1_SOM_PORT
	som_public_key = $(fig1_pub som)
	CONF
	nsenter --net=/run/netns/"$fw" "$SOA" --config "$FIG1_DIR/$name.conf" \
		--state-dir "$FIG1_DIR" 2>>"$FIG1_DIR/$name.log" &
	PIDS+=($!)
	fig1_wait 10 agentctl "$fw" agent >/dev/null ||
		{ cat "$FIG1_DIR/$name.log"; fail "the agent of $fw did not come up"; }
}

fig1_tde_start() {
	cat > "$FIG1_DIR/tde.conf" <<-CONF
	[tde]
	debounce_ms = ${FIG1_DEBOUNCE_MS:-50}
	identity_key = $FIG1_DIR/tde.key
	host_id = 100
	som_address = $FIG1_MGMT4:$FIG1_SOM_PORT
	som_public_key = $(fig1_pub som)
	[watch nve3]
	netns = $NVE3
	[host fw1]
	id = 1
	gateway = 198.18.103.1, 2001:db8:103::1
	[host fw2]
	id = 2
	gateway = 198.18.104.1, 2001:db8:104::1
	[vm vm1]
	zone = 0
	address = 198.18.10.1, 2001:db8:10::1
	[vm vm2]
	zone = 0
	address = 198.18.11.1, 2001:db8:11::1
	CONF
	nsenter --net=/run/netns/"$MGMT" "$TDE" --config "$FIG1_DIR/tde.conf" \
		>>"$FIG1_DIR/tde.out" 2>>"$FIG1_DIR/tde.log" &
	PIDS+=($!)
}

registered() { [ "$(som_status | grep -c '^  state connected')" -ge "$1" ]; }
tde_connected() { som_status | grep -q '^tde 100 '; }

# fig1ctl_setup PREFIX RULES_FW1 RULES_FW2
fig1ctl_setup() {
	FIG1_DIR=$(mktemp -d)
	fig1_vni2_setup
	fig1_mgmt_net "$1"
	fig1_keygen fw1
	fig1_keygen fw2
	fig1_keygen tde
	fig1_som_start
	fig1_soa_start "$FW1" 1 "$2"
	fig1_soa_start "$FW2" 2 "$3"
	fig1_wait 10 registered 2 ||
		{ som_status; cat "$FIG1_DIR"/*.log; fail "the agents did not register"; }
	# The agents indexed the VMs' addresses ([vm] in their files):
	# exporting a VM's flows costs in proportion to them.
	local fw
	for fw in $FW1 $FW2; do
		[ "$(agentctl "$fw" vm list | grep -c '^0:')" = 4 ] ||
			fail "the VMs are not indexed on $fw"
	done
	fig1_tde_start
	fig1_wait 10 tde_connected ||
		{ som_status; cat "$FIG1_DIR/tde.log"; fail "the TDE did not connect"; }
}

fig1ctl_cleanup() {
	[ -n "${FIG1_DIR:-}" ] && rm -rf "$FIG1_DIR"
	FIG1_DIR=
	return 0
}

# ---- Live flows on the testbed ----
#
# fig1_flows_start SECONDS [N]: paced TCP streams, each byte checked by its
# receiver: N (default 2) of each kind VM1 -> VM3 over IPv4 and IPv6,
# VM3 -> VM1 (opened from the other side) over IPv4 and IPv6, VM2 -> VM3
# over IPv4 (a VM that does not move), and, if VNI2 is set up, VNI2's VM1
# -> VM3 over IPv4 and IPv6 (the same addresses in zone 2). FLOW_NAMES/FLOW_PIDS/FLOW_OUT
# describe them; fig1_flows_wait collects their outcome.
FLOW_NAMES=() FLOW_PIDS=() FLOW_OUT=()

fig1_flow() {	# fig1_flow NAME NS ADDR PORT SECONDS
	local out=$FIG1_DIR/flow.${#FLOW_NAMES[@]}
	ip netns exec "$2" "$FLOWCHECK" stream "$3" "$4" "$5" > "$out" 2>&1 &
	FLOW_PIDS+=($!) FLOW_NAMES+=("$1") FLOW_OUT+=("$out")
}

fig1_flows_start() {
	local secs=$1 n=${2:-2} i
	bg "$VM3" "$FLOWCHECK" server 5201
	bg "$VM1" "$FLOWCHECK" server 5202
	sleep 0.5
	for i in $(seq "$n"); do
		fig1_flow "vm1->vm3 v4 #$i" "$VM1" 198.18.30.1 5201 "$secs"
		fig1_flow "vm1->vm3 v6 #$i" "$VM1" 2001:db8:30::1 5201 "$secs"
		fig1_flow "vm3->vm1 v4 #$i" "$VM3" 198.18.10.1 5202 "$secs"
		fig1_flow "vm3->vm1 v6 #$i" "$VM3" 2001:db8:10::1 5202 "$secs"
	done
	fig1_flow "vm2->vm3 v4" "$VM2" 198.18.30.1 5201 "$secs"
	[ -n "${VM1B:-}" ] || return 0
	bg "$VM3B" "$FLOWCHECK" server 5201
	sleep 0.3
	fig1_flow "vni2 vm1->vm3 v4" "$VM1B" 198.18.30.1 5201 "$secs"
	fig1_flow "vni2 vm1->vm3 v6" "$VM1B" 2001:db8:30::1 5201 "$secs"
}

# fig1_flows_wait: FLOWS_OK/FLOWS_BROKEN counts, FLOW_STALL[i] (ms or
# "-"), one line per flow in FLOWS_REPORT.
fig1_flows_wait() {
	local i rc gap
	FLOWS_OK=0 FLOWS_BROKEN=0 FLOWS_REPORT= FLOW_STALL=()
	for i in "${!FLOW_PIDS[@]}"; do
		wait "${FLOW_PIDS[$i]}"
		rc=$?
		gap=$(sed -n 's/.*max_gap_ms \([0-9]*\).*/\1/p' "${FLOW_OUT[$i]}")
		FLOW_STALL[$i]=${gap:--}
		if [ $rc = 0 ]; then
			FLOWS_OK=$((FLOWS_OK + 1))
			FLOWS_REPORT+=$(printf '  %-16s alive, every byte intact, longest stall %5s ms' \
				"${FLOW_NAMES[$i]}" "${gap:-?}")$'\n'
		else
			FLOWS_BROKEN=$((FLOWS_BROKEN + 1))
			FLOWS_REPORT+=$(printf '  %-16s BROKEN (%s)' "${FLOW_NAMES[$i]}" \
				"$([ $rc = 3 ] && echo stalled || echo "exit $rc")")$'\n'
		fi
	done
	FLOW_PIDS=() FLOW_NAMES=() FLOW_OUT=()
}

# VM1's flows on a firewall that leave through its source NAT pool.
fig1_fw_snat_flows() {
	agentctl "$1" ct list --json 2>/dev/null |
		jq '[.[] | select(.nat.kind == "snat" and (.nat.src == "198.18.60.1" or .nat.src == "2001:db8:60::1"))] | length'
}

# Established flows on a firewall in a zone (default 0) with an endpoint
# in a /24 (v4) or its v6 /64: fig1_fw_flows FW 10|11 [ZONE]
fig1_fw_flows() {
	agentctl "$1" ct list --json 2>/dev/null |
		jq --arg a "198.18.$2." --arg b "2001:db8:$2::" --argjson z "${3:-0}" \
		'[.[] | select(.state == "ESTABLISHED" and .zone == $z and ((.src | startswith($a) or startswith($b)) or (.dst | startswith($a) or startswith($b))))] | length'
}

# The hypervisor's migration hook (docs/examples/libvirt-qemu-hook): VM is
# about to move from FROM to TO; the SOM moves its state ahead of the
# switch. fig1_hook_notify VM FROM TO.
fig1_hook_notify() {
	nsenter --net=/run/netns/"$MGMT" "$TDE" notify --config "$FIG1_DIR/tde.conf" \
		--vm "$1" --from "$2" --to "$3" >>"$FIG1_DIR/tde.out" 2>>"$FIG1_DIR/tde.log"
}

# The SOM's migrations of VM that ended (done or failed), as a JSON array.
fig1_migrations_of() {
	som_migrations 2>/dev/null | jq -c --arg vm "$1" \
		'[.[] | select(.vm == $vm and (.phase == "done" or .phase == "failed"))]'
}

# fig1_wait_migrations VM N SECONDS: until N of VM's migrations ended; the
# last one as JSON. Fails if fewer ended in time.
fig1_wait_migrations() {
	local n=$(( $3 * 10 )) a
	while [ $n -gt 0 ]; do
		a=$(fig1_migrations_of "$1")
		[ "$(echo "$a" | jq length)" -ge "$2" ] && { echo "$a" | jq -c 'last'; return 0; }
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# fig1_migration_of VM: the last of VM's migrations that ended, as JSON
# (fails if none did); fig1_wait_migration VM SECONDS: until one did.
fig1_migration_of() { fig1_migrations_of "$1" | jq -ec 'last // empty'; }
fig1_wait_migration() { fig1_wait_migrations "$1" 1 "$2"; }
