#!/bin/bash
# Ferry demo: a src -- fw -- dst path in network namespaces, the stateful
# firewall attached with XDP on fw, real TCP/UDP/ICMP flows through it, the
# tracked connections and verdict counters shown, then everything removed.
# (The live-migration demo of the Figure 1 testbed replaces this once the
# control plane lands.)
set -u
cd "$(dirname "$0")/.." || exit 1
. selftests/net/lib.sh
INSTANCE=demo

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root" >&2; exit 1; }
[ -x "$FERRYCTL" ] || { echo "demo: build first (make)" >&2; exit 1; }

say "Testbed: demo-src (198.18.0.2) -- demo-fw -- demo-dst (198.18.1.2)"
path_setup demo

rules=$(mktemp)
cat > "$rules" <<'RULES'
# src may open TCP to dst port 5201 (v4 and v6) and UDP to 5201; ping dst.
allow proto tcp from 198.18.0.0/24 to 198.18.1.0/24 dport 5201
allow proto udp from 198.18.0.0/24 to 198.18.1.0/24 dport 5201
allow proto tcp from 2001:db8:0::/64 to 2001:db8:1::/64 dport 5201
allow proto icmp from 198.18.0.0/24 to 198.18.1.0/24
# anything else is denied
RULES
say "Load Ferry on demo-fw's interfaces with these rules"
grep -v '^#' "$rules"
ferry load --iface fw_a --iface fw_b --rules "$rules" || exit 1
rm -f "$rules"

say "Start flows: TCP v4 and v6 (iperf3, 6 s), UDP (iperf3 -u), ping"
bg "$NS_DST" iperf3 -s -p 5201 >/dev/null 2>&1
sleep 1
bg "$NS_SRC" iperf3 -c 198.18.1.2 -p 5201 -t 6 -P 2 >/dev/null 2>&1
bg "$NS_SRC" ping -q -c 20 -i 0.3 198.18.1.2 >/dev/null 2>&1
sleep 2

say "Tracked connections while the flows run (ferryctl ct list)"
ferry ct list

say "A flow the rules do not allow: dst -> src TCP (refused)"
if ip netns exec "$NS_DST" timeout 3 bash -c 'exec 3<>/dev/tcp/198.18.0.2/22' 2>/dev/null; then
	echo "unexpected: it connected"
else
	echo "refused: no rule allows it, the SYN was dropped"
fi
sleep 4

say "IPv6 TCP and UDP flows"
bg "$NS_DST" iperf3 -s -p 5202 -1 >/dev/null 2>&1
ip netns exec "$NS_SRC" iperf3 -6 -c 2001:db8:1::2 -p 5201 -t 2 2>&1 | tail -3
ip netns exec "$NS_SRC" iperf3 -u -c 198.18.1.2 -p 5201 -b 20M -t 2 2>&1 | tail -4 | head -2

say "Verdict counters (ferryctl stats)"
ferry stats

say "Status"
ferry status
say "Done: tearing the testbed down"
