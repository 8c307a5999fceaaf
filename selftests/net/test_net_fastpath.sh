#!/bin/bash
# The XDP fast path (ferryctl load --fast-forward): packets of established
# flows are routed in XDP and redirected, bypassing fw's stack; data arrives
# intact both ways; what the stack must handle (TTL expiring) still reaches
# it.
cd "$(dirname "$0")/../.." || exit 1
. selftests/net/lib.sh
INSTANCE=fastpath
FLOWCHECK=${BUILD:-build}/selftests/bin/flowcheck

[ -x "$FERRYCTL" ] || fail "no $FERRYCTL (make first)"
path_setup nfp
# A veth takes XDP redirects only with NAPI (GRO on); lib.sh already sends
# complete checksums (TX offload off), as a wire does.
for ns in $NS_SRC $NS_DST; do
	ip netns exec "$ns" ethtool -K eth0 gro on >/dev/null || fail "ethtool"
done

rules=$(mktemp)
cat > "$rules" <<'RULES'
allow proto tcp from 198.18.0.0/24 to 198.18.1.0/24 dport 5201
allow proto tcp from 2001:db8:0::/64 to 2001:db8:1::/64 dport 5201
allow proto icmp from 198.18.0.0/24 to 198.18.1.0/24
RULES
ferry load --iface fw_a --iface fw_b --rules "$rules" --fast-forward || fail "ferryctl load"
rm -f "$rules"

forwarded() {	# IPv4 datagrams fw's stack forwarded so far
	ip netns exec "$NS_FW" awk '/^Ip: [0-9]/ { print $7 }' /proc/net/snmp
}

bg "$NS_DST" "$FLOWCHECK" server 5201
sleep 1
before=$(forwarded)
check "20 MiB over IPv4 through the fast path, content verified" \
	ip netns exec "$NS_SRC" timeout 30 "$FLOWCHECK" client 198.18.1.2 5201 20971520
after=$(forwarded)
est=$(stat pass-established)
# ~14,500 data segments and their ACKs were established packets; only the
# handshake (before the flow was established) may have gone through the stack.
check "the stack forwarded $((after - before)) of $est established packets" \
	[ $((after - before)) -lt 20 -a "$est" -gt 10000 ]
check "5 MiB over IPv6 through the fast path, content verified" \
	ip netns exec "$NS_SRC" timeout 30 "$FLOWCHECK" client 2001:db8:1::2 5201 5242880

# TTL 1 on an established ICMP flow: the fast path leaves it to the stack,
# which answers "time to live exceeded" itself.
out=$(ip netns exec "$NS_SRC" ping -c 3 -i 0.2 -W 1 -t 1 198.18.1.2 2>&1)
n=$(echo "$out" | grep -c "Time to live exceeded")
check "TTL-1 packets answered by fw's stack ($n of 3)" [ "$n" -eq 3 ]
ping_ok=$(ip netns exec "$NS_SRC" ping -c 3 -i 0.2 -W 1 198.18.1.2 >/dev/null && echo yes)
check "ping with a normal TTL crosses the fast path" [ "$ping_ok" = yes ]
echo "all checks passed"
