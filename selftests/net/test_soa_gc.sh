#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The agent's sweep removes expired flows and only those: UDP and ICMP
# flows with 5-second timeouts go (long enough for a slow emulated kernel
# to create them all before the first expires), a TCP transfer that keeps
# running stays, and the entries are gone from the map itself, not just
# hidden.
set -u
cd "$(dirname "$0")/../.."
. selftests/net/lib.sh
INSTANCE=soagc
. selftests/net/soa_lib.sh
soa_setup soagc

cat > "$tmp/soa.conf" <<CONF
[agent]
instance = $INSTANCE
host_id = 12
control_socket = $SOCK
[table]
ct_max = 4096
gc_interval = 1
[timeouts]
udp_unreplied = 5
udp_replied = 5
icmp_unreplied = 5
icmp_replied = 5
[interface fw_a]
hook = xdp
[interface fw_b]
hook = xdp
[rules]
rule = allow proto tcp dport 5201
rule = allow proto udp dport 9000-9009
rule = allow proto icmp
rule = allow proto icmpv6
CONF
start_agent
# Entries in the map itself, expired or not.
entries() { bpftool -j map dump pinned /sys/fs/bpf/ferry/$INSTANCE/ferry_ct | jq length; }
removed() { agentctl agent | sed -n 's/^sweeps .* \([0-9]*\) flows removed$/\1/p'; }

bg "$NS_DST" "$FLOWCHECK" server 5201
sleep 0.3
ip netns exec "$NS_SRC" "$FLOWCHECK" stream 198.18.1.2 5201 14 > "$tmp/s4" &
S4=$!
for p in 9000 9001 9002; do
	ip netns exec "$NS_SRC" bash -c "echo x > /dev/udp/198.18.1.2/$p"
done
ip netns exec "$NS_SRC" ping -c 1 -W 1 198.18.1.2 >/dev/null
ip netns exec "$NS_SRC" ping -6 -c 1 -W 1 2001:db8:1::2 >/dev/null
sleep 0.2
n=$(entries)
check "the TCP, 3 UDP and 2 ICMP flows are in the table ($n)" [ "$n" = 6 ]
base=$(removed)
sleep 8
check "after their timeout the sweep removed the 5 expired flows ($(entries) left)" \
	[ "$(entries)" = 1 ]
check "the agent counts them ($(removed) removed, $base before)" [ "$(( $(removed) - base ))" = 5 ]
left=$(agentctl ct list --json | jq -c '.[0] | {proto, dport, state}')
check "the one left is the running TCP transfer ($left)" \
	[ "$(echo "$left" | jq -r '"\(.proto) \(.dport)"')" = "tcp 5201" ]
wait $S4
check "the TCP transfer ran on intact ($(cat "$tmp/s4"))" [ $? = 0 ]
exit 0
