#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# ferry-soa on the src -- fw -- dst path: it loads the datapath from its
# configuration and serves ferryctl on a 0600 socket; it is stopped (TERM)
# and killed (-9) and started again under live TCP transfers, and not one
# tracked flow is lost; a reload with a broken file keeps the running rules,
# a good one applies new rules; pinned state of another layout is refused.
set -u
cd "$(dirname "$0")/../.."
. selftests/net/lib.sh
INSTANCE=soaag
. selftests/net/soa_lib.sh
soa_setup soaag

write_conf() {	# write_conf RULE...
	cat > "$tmp/soa.conf" <<-CONF
	[agent]
	instance = $INSTANCE
	host_id = 11
	control_socket = $SOCK
	[table]
	ct_max = 4096
	gc_interval = 1
	[interface fw_a]
	hook = xdp
	[interface fw_b]
	hook = xdp
	[rules]
	CONF
	local r
	for r in "$@"; do echo "rule = $r" >> "$tmp/soa.conf"; done
}

stop_agent() {	# stop_agent SIGNAL
	kill -"$1" "$AGENT"
	wait "$AGENT" 2>/dev/null
	AGENT=
}
flows() { agentctl ct list --json | jq length; }

write_conf "allow proto tcp dport 5201" "allow proto icmp" "allow proto icmpv6"
out=$("$SOA" --config "$tmp/soa.conf" --check) || fail "--check: $out"
check "--check accepts the configuration" [ -n "$(echo "$out" | grep 'is valid')" ]
printf '[agent]\ninstance = x\nhost_id = 1\nbogus = 1\n' > "$tmp/bad.conf"
out=$("$SOA" --config "$tmp/bad.conf" 2>&1); rc=$?
check "an unknown key is refused naming file and line ($out)" \
	[ "$rc:$(echo "$out" | grep -c 'bad.conf:4')" = 2:1 ]

start_agent
check "the control socket is a 0600 socket in a 0700 directory" \
	[ "$(command stat -c %a "$SOCK" "$(dirname "$SOCK")" | tr '\n' ' ')" = "600 700 " ]
check "ferryctl reaches the agent (agent status names the config)" \
	agentctl agent | grep -q "config $tmp/soa.conf"
check "status runs in the agent (in fw's namespace: it sees the XDP links)" \
	[ -n "$(agentctl status | grep 'xdp_fw_a')" ]
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$FERRYCTL" --socket "$SOCK" status 2>&1)
check "an unprivileged user cannot use the socket ($out)" \
	[ -n "$(echo "$out" | grep -i 'permission denied')" ]

bg "$NS_DST" "$FLOWCHECK" server 5201
sleep 0.3
# Long transfers, v4 and v6, that must live through every restart below.
ip netns exec "$NS_SRC" "$FLOWCHECK" stream 198.18.1.2 5201 12 > "$tmp/s4" &
S4=$!
ip netns exec "$NS_SRC" "$FLOWCHECK" stream 2001:db8:1::2 5201 12 > "$tmp/s6" &
S6=$!
# Both running (an IPv6 connection may wait a while for neighbour discovery).
for i in $(seq 50); do
	before=$(flows)
	[ "$before" -ge 2 ] && break
	sleep 0.2
done
[ "$before" -ge 2 ] || { cat "$tmp/s4" "$tmp/s6"; agentctl ct list; }
check "both transfers are tracked ($before flows)" [ "$before" -ge 2 ]

stop_agent TERM
check "a stopped agent leaves its socket removed" [ ! -e "$SOCK" ]
check "a stopped agent leaves the datapath attached" \
	[ -n "$(ip -n "$NS_FW" link show fw_a | grep xdp)" ]
sleep 1
start_agent
check "after a restart the agent re-attached to the pinned state" \
	grep -q "re-attached to pinned state" "$tmp/agent.log"
check "no tracked flow was lost by the restart ($(flows) of $before)" [ "$(flows)" -ge "$before" ]
stop_agent KILL
rm -f "$SOCK"
sleep 1
start_agent
check "no tracked flow was lost by kill -9 and a start ($(flows) of $before)" \
	[ "$(flows)" -ge "$before" ]

wait $S4; r4=$?
wait $S6; r6=$?
check "the IPv4 transfer lived through both restarts ($(cat "$tmp/s4"))" [ $r4 = 0 ]
check "the IPv6 transfer lived through both restarts ($(cat "$tmp/s6"))" [ $r6 = 0 ]

# Reload: a broken file changes nothing; a good one swaps the rules.
echo "rule = allow proto tcp dport banana" >> "$tmp/soa.conf"
out=$(agentctl reload 2>&1); rc=$?
check "a reload of a broken file is refused, naming the line ($out)" \
	[ "$rc:$(echo "$out" | grep -c 'soa.conf:[0-9]')" = 1:1 ]
check "the agent says why, naming the line" \
	grep -q "reload refused.*soa.conf:[0-9]*" "$tmp/agent.log"
check "and keeps running the old rules ($(agentctl rules show | grep -c allow) rules)" \
	[ "$(agentctl rules show | grep -c allow)" = 3 ]
out=$(ip netns exec "$NS_SRC" timeout 10 "$FLOWCHECK" client 198.18.1.2 5201 100000 2>&1)
check "new flows still pass under the old rules ($out)" [ $? = 0 ]
write_conf "allow proto icmp" "allow proto icmpv6"
kill -HUP "$AGENT"
sleep 0.5
check "SIGHUP applied the new rules" grep -q "rules: 2 installed" "$tmp/agent.log"
ip netns exec "$NS_SRC" timeout 5 "$FLOWCHECK" client 198.18.1.2 5201 100000 >/dev/null 2>&1
check "a new flow to port 5201 is now refused" [ $? != 0 ]

# Pinned state of another layout: refused with a way out.
stop_agent TERM
pin=/sys/fs/bpf/ferry/$INSTANCE/ferry_meta
bpftool map update pinned "$pin" key 0 0 0 0 value \
	$(bpftool -j map lookup pinned "$pin" key 0 0 0 0 |
	  jq -r '.value | .[0:4] + ["0xff","0","0","0"] + .[8:] | join(" ")') ||
	fail "cannot rewrite ferry_meta"
nsenter --net=/run/netns/"$NS_FW" "$SOA" --config "$tmp/soa.conf" 2> "$tmp/refused.log"
rc=$?
check "an agent refuses pinned state of another layout (exit $rc)" [ $rc != 0 ]
check "and says how to get out of it" grep -q "layout version 255" "$tmp/refused.log"
cat "$tmp/refused.log" | head -3
exit 0
