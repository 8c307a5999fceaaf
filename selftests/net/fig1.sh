# The testbed of the draft's Figure 1, in network namespaces: VM1 on
# Server1/NVE1, VM3 on Server3/NVE3, FW1 on the NVE1--NVE3 path, FW2 on the
# NVE2--NVE3 path, and a link NVE1--NVE2. Source it (after lib.sh for
# fail/bg), call fig1_setup PREFIX, then fig1_move_vm1 (scenario 1) or
# fig1_break_fw1_path (scenario 2). Teardown: fig1_teardown (set as trap).
#
# VM1's NIC is plugged into the virtual switch of the server it runs on:
# namespace PREFIX-vm1port holds a bridge with VM1's port and an uplink to
# each server (s1 to NVE1, s2 to NVE2; s2 down until VM1 moves). NVE1 and
# NVE2 both serve VM1's gateway, same address and MAC (a distributed
# anycast gateway, as EVPN fabrics have), and know VM1's MAC (as an EVPN
# control plane does), so VM1 sees no change of link or gateway when it
# moves, as a live-migrated VM does not.
#
#   vm1 198.18.10.1 (2001:db8:10::1), gateway .254 / ::fe on NVE1 and NVE2
#   vm2 198.18.11.1 (2001:db8:11::1) on NVE1: another VM that stays
#   vm3 198.18.30.1 (2001:db8:30::1), gateway .254 / ::fe on NVE3
#   nve1 -(198.18.101.0/30)- fw1 -(198.18.103.0/30)- nve3
#   nve2 -(198.18.102.0/30)- fw2 -(198.18.104.0/30)- nve3
#   nve1 -(198.18.100.0/30)- nve2
# IPv6 link nets are 2001:db8:1NN::/64 with the same last digits.

FIG1_GW_MAC=02:00:00:00:10:fe
FIG1_VM1_MAC=02:00:00:00:10:01
FIG1_NS=()

fig1_cleanup() {
	local ns
	for ns in "${FIG1_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# ferryctl for the Ferry instance of a firewall namespace (named after it).
fwctl() { local fw=$1; shift; "$FERRYCTL" --netns "$fw" --instance "$fw" "$@"; }

# End the processes a test started (bg), unload Ferry from both firewalls
# and delete the testbed.
fig1_teardown() {
	local p fw
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	for fw in ${FW1:-} ${FW2:-}; do
		fwctl "$fw" unload >/dev/null 2>&1
	done
	fig1_cleanup
}

# fig1_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B NET6: a veth between two
# namespaces, IPv4 /30 addresses, IPv6 NET6::1 and ::2.
fig1_link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
		fail "veth $1:$2 -- $4:$5"
	ip -n "$1" addr add "$3"/30 dev "$2"
	ip -n "$4" addr add "$6"/30 dev "$5"
	ip -n "$1" addr add "$7::1/64" dev "$2" nodad
	ip -n "$4" addr add "$7::2/64" dev "$5" nodad
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# fig1_route NS NET4 VIA4 NET6 VIA6
fig1_route() {
	ip -n "$1" route replace "$2" via "$3" || fail "route $2 in $1"
	ip -n "$1" -6 route replace "$4" via "$5" || fail "route $4 in $1"
}

# The gateway of VM1's subnet on an NVE that can have VM1's link, and VM1
# in its neighbour table.
fig1_vm1_gateway() {
	local nve=$1
	ip -n "$nve" link set vm1p address $FIG1_GW_MAC
	ip -n "$nve" addr add 198.18.10.254/24 dev vm1p
	ip -n "$nve" addr add 2001:db8:10::fe/64 dev vm1p nodad
	ip -n "$nve" link set vm1p up
	ip -n "$nve" neigh replace 198.18.10.1 lladdr $FIG1_VM1_MAC dev vm1p nud permanent
	ip -n "$nve" -6 neigh replace 2001:db8:10::1 lladdr $FIG1_VM1_MAC dev vm1p \
		nud permanent
}

# VM1's port on the servers' virtual switch: a bridge with VM1 and an
# uplink to NVE1 (s1, up) and one to NVE2 (s2, down).
fig1_vm1_port() {
	ip -n "$VM1PORT" link add br0 type bridge stp_state 0 forward_delay 0 ||
		fail "bridge in $VM1PORT"
	ip link add eth0 netns "$VM1" address $FIG1_VM1_MAC type veth \
		peer name vm1 netns "$VM1PORT" || fail "veth vm1"
	ip link add s1 netns "$VM1PORT" type veth peer name vm1p netns "$NVE1" ||
		fail "uplink to $NVE1"
	ip link add s2 netns "$VM1PORT" type veth peer name vm1p netns "$NVE2" ||
		fail "uplink to $NVE2"
	for i in vm1 s1 s2; do
		ip -n "$VM1PORT" link set "$i" master br0
	done
	ip -n "$VM1PORT" link set br0 up
	ip -n "$VM1PORT" link set vm1 up
	ip -n "$VM1PORT" link set s1 up
	ip netns exec "$VM1PORT" ethtool -K vm1 tx off >/dev/null 2>&1
	fig1_vm1_gateway "$NVE1"
	fig1_vm1_gateway "$NVE2"
}

fig1_setup() {
	local p=$1 ns
	VM1=$p-vm1 VM2=$p-vm2 VM3=$p-vm3 NVE1=$p-nve1 NVE2=$p-nve2 NVE3=$p-nve3
	FW1=$p-fw1 FW2=$p-fw2 VM1PORT=$p-vm1port
	FIG1_NS=($VM1 $VM2 $VM3 $NVE1 $NVE2 $NVE3 $FW1 $FW2 $VM1PORT)
	# what a run killed before its teardown left of Ferry on the firewalls
	rm -rf "/sys/fs/bpf/ferry/$FW1" "/sys/fs/bpf/ferry/$FW2"
	for ns in "${FIG1_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || fail "cannot create namespace $ns"
		ip -n "$ns" link set lo up
		# Routes over a link that is down are not used (VM1's
		# gateway on the NVE it is not plugged into).
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.accept_dad=0 \
			net.ipv4.conf.all.ignore_routes_with_linkdown=1 \
			net.ipv6.conf.all.ignore_routes_with_linkdown=1
	done
	# The VMs: checksums complete in every frame, as on a wire.
	fig1_vm1_port
	ip link add eth0 netns "$VM3" type veth peer name vm3p netns "$NVE3" || fail "veth vm3"
	ip link add eth0 netns "$VM2" type veth peer name vm2p netns "$NVE1" || fail "veth vm2"
	for ns in $VM1 $VM2 $VM3; do
		ip -n "$ns" link set eth0 up
		ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1
	done
	ip -n "$VM1" addr add 198.18.10.1/24 dev eth0
	ip -n "$VM1" addr add 2001:db8:10::1/64 dev eth0 nodad
	ip -n "$VM1" route add default via 198.18.10.254
	ip -n "$VM1" -6 route add default via 2001:db8:10::fe
	ip -n "$VM2" addr add 198.18.11.1/24 dev eth0
	ip -n "$VM2" addr add 2001:db8:11::1/64 dev eth0 nodad
	ip -n "$VM2" route add default via 198.18.11.254
	ip -n "$VM2" -6 route add default via 2001:db8:11::fe
	ip -n "$NVE1" addr add 198.18.11.254/24 dev vm2p
	ip -n "$NVE1" addr add 2001:db8:11::fe/64 dev vm2p nodad
	ip -n "$NVE1" link set vm2p up
	ip -n "$VM3" addr add 198.18.30.1/24 dev eth0
	ip -n "$VM3" addr add 2001:db8:30::1/64 dev eth0 nodad
	ip -n "$VM3" route add default via 198.18.30.254
	ip -n "$VM3" -6 route add default via 2001:db8:30::fe
	ip -n "$NVE3" addr add 198.18.30.254/24 dev vm3p
	ip -n "$NVE3" addr add 2001:db8:30::fe/64 dev vm3p nodad
	ip -n "$NVE3" link set vm3p up

	fig1_link "$NVE1" to_fw1 198.18.101.1 "$FW1" west 198.18.101.2 2001:db8:101
	fig1_link "$FW1" east 198.18.103.1 "$NVE3" to_fw1 198.18.103.2 2001:db8:103
	fig1_link "$NVE2" to_fw2 198.18.102.1 "$FW2" west 198.18.102.2 2001:db8:102
	fig1_link "$FW2" east 198.18.104.1 "$NVE3" to_fw2 198.18.104.2 2001:db8:104
	fig1_link "$NVE1" to_nve2 198.18.100.1 "$NVE2" to_nve1 198.18.100.2 2001:db8:100

	# VM1 -- VM3 through FW1; FW2's path is ready for when traffic moves.
	# 198.18.60.0/24 and 2001:db8:60::/64: the firewalls' source NAT pool
	# for VM1, reached where VM1's traffic goes.
	fig1_route "$NVE3" 198.18.60.0/24 198.18.103.1 2001:db8:60::/64 2001:db8:103::1
	fig1_route "$NVE1" 198.18.30.0/24 198.18.101.2 2001:db8:30::/64 2001:db8:101::2
	fig1_route "$FW1" 198.18.30.0/24 198.18.103.2 2001:db8:30::/64 2001:db8:103::2
	fig1_route "$FW1" 198.18.10.0/24 198.18.101.1 2001:db8:10::/64 2001:db8:101::1
	fig1_route "$NVE3" 198.18.10.0/24 198.18.103.1 2001:db8:10::/64 2001:db8:103::1
	fig1_route "$NVE2" 198.18.30.0/24 198.18.102.2 2001:db8:30::/64 2001:db8:102::2
	fig1_route "$FW2" 198.18.30.0/24 198.18.104.2 2001:db8:30::/64 2001:db8:104::2
	fig1_route "$FW2" 198.18.10.0/24 198.18.102.1 2001:db8:10::/64 2001:db8:102::1
	# VM2 -- VM3 through FW1 too.
	fig1_route "$FW1" 198.18.11.0/24 198.18.101.1 2001:db8:11::/64 2001:db8:101::1
	fig1_route "$NVE3" 198.18.11.0/24 198.18.103.1 2001:db8:11::/64 2001:db8:103::1
	fig1_route "$FW2" 198.18.11.0/24 198.18.102.1 2001:db8:11::/64 2001:db8:102::1
}

# Scenario 1: VM1 moves from Server1 to Server2. Its namespace (and its
# sockets) stay; it is plugged into Server2's switch (s2 up, the gateway's
# MAC now behind s2), NVE3's route converges on FW2, and after 100 ms, the
# packets still on their way through Server1 delivered, Server1's port goes
# (s1 down). The whole move takes a few tens of milliseconds of commands.
fig1_move_vm1() {
	ip -n "$VM1PORT" link set s2 up || fail "plug VM1 into Server2"
	fig1_route "$NVE3" 198.18.10.0/24 198.18.104.1 2001:db8:10::/64 2001:db8:104::1
	fig1_route "$NVE3" 198.18.60.0/24 198.18.104.1 2001:db8:60::/64 2001:db8:104::1
	bridge -n "$VM1PORT" fdb replace $FIG1_GW_MAC dev s2 master static ||
		fail "VM1's gateway behind Server2"
	sleep 0.1
	ip -n "$VM1PORT" link set s1 down || fail "unplug VM1 from Server1"
}

# Scenario 2: the path through FW1 breaks; NVE1 sends VM1's (and VM2's)
# traffic over NVE2 and FW2, and NVE3 routes back the same way.
fig1_break_fw1_path() {
	ip -n "$NVE1" link set to_fw1 down || fail "link down"
	fig1_route "$NVE1" 198.18.30.0/24 198.18.100.2 2001:db8:30::/64 2001:db8:100::2
	fig1_route "$NVE2" 198.18.10.0/24 198.18.100.1 2001:db8:10::/64 2001:db8:100::1
	fig1_route "$NVE2" 198.18.11.0/24 198.18.100.1 2001:db8:11::/64 2001:db8:100::1
	fig1_route "$NVE3" 198.18.10.0/24 198.18.104.1 2001:db8:10::/64 2001:db8:104::1
	fig1_route "$NVE3" 198.18.11.0/24 198.18.104.1 2001:db8:11::/64 2001:db8:104::1
	fig1_route "$NVE3" 198.18.60.0/24 198.18.104.1 2001:db8:60::/64 2001:db8:104::1
}

# A second tenant, VNI2, whose VMs reuse VNI1's addresses: vm1b
# 198.18.10.1 (2001:db8:10::1) on NVE1 and vm3b 198.18.30.1
# (2001:db8:30::1) on NVE3, through FW1 on links of their own
# (west2/east2, 198.18.111.0/30 and 198.18.113.0/30). NVE1, FW1 and NVE3
# route what arrives on VNI2's interfaces with table 102 (policy routing by
# input interface: this kernel has no VRF). FW1 gives these interfaces
# zone 2: the same addresses in another zone are other flows. VNI2 stays on
# FW1 in both scenarios. Call after fig1_setup.
fig1_vni2_if() {	# fig1_vni2_if NS IF...: what arrives on IF uses table 102
	local ns=$1 i
	shift
	for i in "$@"; do
		ip -n "$ns" rule add iif "$i" lookup 102 pref 100 || fail "rule $i in $ns"
		ip -n "$ns" -6 rule add iif "$i" lookup 102 pref 100 || fail "rule6 $i in $ns"
	done
}

# fig1_vni2_route NS NET4 VIA4 NET6 VIA6 DEV: in table 102
fig1_vni2_route() {
	ip -n "$1" route add "$2" via "$3" dev "$6" onlink table 102 || fail "route $2 in $1"
	ip -n "$1" -6 route add "$4" via "$5" dev "$6" onlink table 102 || fail "route $4 in $1"
}

fig1_vni2_setup() {
	local p=${VM1%-vm1} ns
	VM1B=$p-vm1b VM3B=$p-vm3b
	FIG1_NS+=($VM1B $VM3B)
	for ns in $VM1B $VM3B; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || fail "cannot create namespace $ns"
		ip -n "$ns" link set lo up
	done
	ip link add eth0 netns "$VM1B" type veth peer name vm1bp netns "$NVE1" || fail "veth vm1b"
	ip link add eth0 netns "$VM3B" type veth peer name vm3bp netns "$NVE3" || fail "veth vm3b"
	for ns in $VM1B $VM3B; do
		ip -n "$ns" link set eth0 up
		ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1
	done
	ip -n "$VM1B" addr add 198.18.10.1/24 dev eth0
	ip -n "$VM1B" addr add 2001:db8:10::1/64 dev eth0 nodad
	ip -n "$VM1B" route add default via 198.18.10.254
	ip -n "$VM1B" -6 route add default via 2001:db8:10::fe
	ip -n "$VM3B" addr add 198.18.30.1/24 dev eth0
	ip -n "$VM3B" addr add 2001:db8:30::1/64 dev eth0 nodad
	ip -n "$VM3B" route add default via 198.18.30.254
	ip -n "$VM3B" -6 route add default via 2001:db8:30::fe
	ip -n "$NVE1" addr add 198.18.10.254/24 dev vm1bp noprefixroute
	ip -n "$NVE1" addr add 2001:db8:10::fe/64 dev vm1bp nodad noprefixroute
	ip -n "$NVE1" link set vm1bp up
	ip -n "$NVE3" addr add 198.18.30.254/24 dev vm3bp noprefixroute
	ip -n "$NVE3" addr add 2001:db8:30::fe/64 dev vm3bp nodad noprefixroute
	ip -n "$NVE3" link set vm3bp up
	fig1_link "$NVE1" to_fw1b 198.18.111.1 "$FW1" west2 198.18.111.2 2001:db8:111
	fig1_link "$FW1" east2 198.18.113.1 "$NVE3" to_fw1b 198.18.113.2 2001:db8:113
	fig1_vni2_if "$NVE1" vm1bp to_fw1b
	fig1_vni2_if "$FW1" west2 east2
	fig1_vni2_if "$NVE3" vm3bp to_fw1b
	ip -n "$NVE1" route add 198.18.10.0/24 dev vm1bp table 102
	ip -n "$NVE1" -6 route add 2001:db8:10::/64 dev vm1bp table 102
	ip -n "$NVE3" route add 198.18.30.0/24 dev vm3bp table 102
	ip -n "$NVE3" -6 route add 2001:db8:30::/64 dev vm3bp table 102
	fig1_vni2_route "$NVE1" 198.18.30.0/24 198.18.111.2 2001:db8:30::/64 2001:db8:111::2 to_fw1b
	fig1_vni2_route "$FW1" 198.18.30.0/24 198.18.113.2 2001:db8:30::/64 2001:db8:113::2 east2
	fig1_vni2_route "$FW1" 198.18.10.0/24 198.18.111.1 2001:db8:10::/64 2001:db8:111::1 west2
	fig1_vni2_route "$NVE3" 198.18.10.0/24 198.18.113.1 2001:db8:10::/64 2001:db8:113::1 to_fw1b
}
