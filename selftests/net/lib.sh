# Shared by the namespace tests: a src -- fw -- dst path in network
# namespaces, torn down on exit. Source it, then call path_setup PREFIX.
# Addresses: src 198.18.0.2 / 2001:db8:0::2, fw 198.18.0.1 and 198.18.1.1,
# dst 198.18.1.2 / 2001:db8:1::2.

FERRYCTL=${FERRYCTL:-$PWD/${BUILD:-build}/bin/ferryctl}
SKIP=77
PIDS=()

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skip: $*"; exit $SKIP; }
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else fail "$what"; fi; }

path_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${NS_FW:-}" ] && "$FERRYCTL" --netns "$NS_FW" --instance "${INSTANCE:-t}" unload >/dev/null 2>&1
	for ns in "${NS_SRC:-}" "${NS_FW:-}" "${NS_DST:-}"; do
		[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# path_setup PREFIX: namespaces PREFIX-src, PREFIX-fw, PREFIX-dst.
path_setup() {
	NS_SRC=$1-src NS_FW=$1-fw NS_DST=$1-dst
	trap path_cleanup EXIT INT TERM
	# what a run killed before its cleanup left of the test's instance
	rm -rf "/sys/fs/bpf/ferry/${INSTANCE:-t}"
	for ns in $NS_SRC $NS_FW $NS_DST; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || fail "cannot create namespace $ns"
		ip -n "$ns" link set lo up
	done
	ip link add fw_a netns "$NS_FW" type veth peer name eth0 netns "$NS_SRC" || fail "veth"
	ip link add fw_b netns "$NS_FW" type veth peer name eth0 netns "$NS_DST" || fail "veth"
	ip -n "$NS_SRC" addr add 198.18.0.2/24 dev eth0
	ip -n "$NS_SRC" addr add 2001:db8:0::2/64 dev eth0 nodad
	ip -n "$NS_FW" addr add 198.18.0.1/24 dev fw_a
	ip -n "$NS_FW" addr add 2001:db8:0::1/64 dev fw_a nodad
	ip -n "$NS_FW" addr add 198.18.1.1/24 dev fw_b
	ip -n "$NS_FW" addr add 2001:db8:1::1/64 dev fw_b nodad
	ip -n "$NS_DST" addr add 198.18.1.2/24 dev eth0
	ip -n "$NS_DST" addr add 2001:db8:1::2/64 dev eth0 nodad
	for ns in $NS_SRC $NS_FW $NS_DST; do
		for l in $(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
			ip -n "$ns" link set "$l" up
		done
	done
	# onlink: an IPv6 address's prefix route comes from a work queue after
	# the link is up; a gateway checked against it may not be there yet.
	ip -n "$NS_SRC" route add default via 198.18.0.1 dev eth0 onlink || fail "route"
	ip -n "$NS_SRC" -6 route add default via 2001:db8:0::1 dev eth0 onlink || fail "route"
	ip -n "$NS_DST" route add default via 198.18.1.1 dev eth0 onlink || fail "route"
	ip -n "$NS_DST" -6 route add default via 2001:db8:1::1 dev eth0 onlink || fail "route"
	ip netns exec "$NS_FW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# Checksums are computed in software on veth: the path is a real wire.
	for ns in $NS_SRC $NS_DST; do
		ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1
	done
}

# A background process in a namespace, ended on exit.
bg() { local ns=$1; shift; ip netns exec "$ns" "$@" & PIDS+=($!); }

# ferryctl for fw's instance. Not through `ip netns exec`: that remounts
# /sys and hides the pinned state under /sys/fs/bpf.
ferry() { "$FERRYCTL" --netns "$NS_FW" --instance "${INSTANCE:-t}" "$@"; }

# stat REASON: packets counted for a verdict reason.
stat() { ferry stats --json | jq ".\"$1\".packets"; }
