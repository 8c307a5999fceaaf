#!/bin/bash
# Forwarding benchmarks: the same src -- fw -- dst namespace path through
# plain forwarding, an nftables stateful ruleset and Ferry, with the same
# policy. Prints `bench: <name> <value> <unit>` lines; docs/benchmarks.md
# explains each figure. Needs root. Everything it creates is removed on
# exit.
#
# Environment: BUILD (build), BENCH_RUNS (3), BENCH_PPS_MS (3000),
# BENCH_TCP_SECS (5), BENCH_CPU (0: the core the packet tests run on).
set -u

BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
PPS_MS=${BENCH_PPS_MS:-3000}
TCP_SECS=${BENCH_TCP_SECS:-5}
CPU=${BENCH_CPU:-0}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

BIN=$BUILD/selftests/bin
FERRYCTL=$BUILD/bin/ferryctl
PIN=/sys/fs/bpf/bch
NS_SRC=bch-src NS_FW=bch-fw NS_DST=bch-dst
PORT_OK=5201 PORT_DENY=9
SRC4=198.18.1.1 FWA4=198.18.1.254 FWB4=198.18.2.254 DST4=198.18.2.1
SRC6=2001:db8:1::1 FWA6=2001:db8:1::fe FWB6=2001:db8:2::fe DST6=2001:db8:2::1

tmp=""
iperf_pid=""
ferry_loaded=""

die() {
	echo "bench_net: $*" >&2
	exit 1
}

cleanup() {
	[ -n "$iperf_pid" ] && kill "$iperf_pid" 2>/dev/null
	[ -n "$ferry_loaded" ] && ferry_unload
	for ns in $NS_SRC $NS_FW $NS_DST; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$PIN"
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() {
	local ns=$1
	shift
	# nsenter, not `ip netns exec`: keep the mount namespace and with it
	# /sys/fs/bpf, where the counters are pinned.
	nsenter --net=/run/netns/"$ns" "$@"
}

mac_of() {
	ip -n "$1" -o link show dev "$2" 2>/dev/null | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p'
}

check_env() {
	local c

	[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, BPF)"
	for c in ip tc nft iperf3 nsenter taskset timeout; do
		command -v "$c" >/dev/null || die "$c is not installed (./tools/deps.sh)"
	done
	[ -x "$BIN/ferry-pktgen" ] || die "$BIN/ferry-pktgen is missing: run 'make bench'"
	[ -x "$FERRYCTL" ] || die "$FERRYCTL is missing: run 'make bench'"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
		die "cannot mount bpffs"
	[ "$(nproc)" -gt "$CPU" ] || die "BENCH_CPU=$CPU: no such CPU"
	for c in $NS_SRC $NS_FW $NS_DST; do
		[ -e /run/netns/"$c" ] && die "namespace $c exists: another bench running?"
	done
	mkdir -p "$PIN"
	tmp=$(mktemp -d /tmp/bch.XXXXXX)
}

# src(veth0) -- (veth_a)fw(veth_b) -- (veth0)dst
setup_net() {
	local ns

	for ns in $NS_SRC $NS_FW $NS_DST; do
		ip netns add "$ns" || die "cannot create namespace $ns"
		ip -n "$ns" link set lo up
	done
	ip link add bch-s0 netns $NS_SRC type veth peer name veth_a netns $NS_FW &&
	ip link add bch-d0 netns $NS_DST type veth peer name veth_b netns $NS_FW &&
	ip -n $NS_SRC link set bch-s0 name veth0 &&
	ip -n $NS_DST link set bch-d0 name veth0 || die "cannot create the veth pairs"
	ip -n $NS_SRC addr add $SRC4/24 dev veth0
	ip -n $NS_SRC addr add $SRC6/64 dev veth0 nodad
	ip -n $NS_FW addr add $FWA4/24 dev veth_a
	ip -n $NS_FW addr add $FWA6/64 dev veth_a nodad
	ip -n $NS_FW addr add $FWB4/24 dev veth_b
	ip -n $NS_FW addr add $FWB6/64 dev veth_b nodad
	ip -n $NS_DST addr add $DST4/24 dev veth0
	ip -n $NS_DST addr add $DST6/64 dev veth0 nodad
	ip -n $NS_SRC link set veth0 up
	ip -n $NS_FW link set veth_a up
	ip -n $NS_FW link set veth_b up
	ip -n $NS_DST link set veth0 up
	ip -n $NS_SRC route add default via $FWA4
	ip -n $NS_SRC -6 route add default via $FWA6
	ip -n $NS_DST route add default via $FWB4
	ip -n $NS_DST -6 route add default via $FWB6
	in_ns $NS_FW sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
		die "cannot enable forwarding"
	# The end hosts' veths behave as a wire, in every mode: GRO on (a
	# veth accepts XDP redirects, Ferry's fast path, only with NAPI, which
	# GRO enables) and checksums complete in each frame (TX offload off:
	# an XDP redirect would carry a partial checksum on, and the receiver
	# drop it; frames from a physical NIC are always complete).
	in_ns $NS_SRC ethtool -K veth0 gro on tx off >/dev/null 2>&1 ||
		die "ethtool -K failed"
	in_ns $NS_DST ethtool -K veth0 gro on tx off >/dev/null 2>&1 ||
		die "ethtool -K failed"
	# Static neighbours: no resolution in the middle of a measurement.
	ip -n $NS_FW neigh replace $DST4 lladdr "$(mac_of $NS_DST veth0)" dev veth_b nud permanent
	ip -n $NS_FW neigh replace $SRC4 lladdr "$(mac_of $NS_SRC veth0)" dev veth_a nud permanent
	ip -n $NS_SRC neigh replace $FWA4 lladdr "$(mac_of $NS_FW veth_a)" dev veth0 nud permanent
	ip -n $NS_DST neigh replace $FWB4 lladdr "$(mac_of $NS_FW veth_b)" dev veth0 nud permanent
}

write_policies() {
	cat > "$tmp/ferry.rules" <<EOF
# The benchmark's policy: new flows to the service port, nothing else.
allow proto udp to 198.18.2.0/24 dport $PORT_OK
allow proto tcp to 198.18.2.0/24 dport $PORT_OK
allow proto udp to 2001:db8:2::/64 dport $PORT_OK
allow proto tcp to 2001:db8:2::/64 dport $PORT_OK
EOF
	cat > "$tmp/nft.rules" <<EOF
table inet bch {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		ip daddr 198.18.2.0/24 udp dport $PORT_OK accept
		ip daddr 198.18.2.0/24 tcp dport $PORT_OK accept
		ip6 daddr 2001:db8:2::/64 udp dport $PORT_OK accept
		ip6 daddr 2001:db8:2::/64 tcp dport $PORT_OK accept
	}
}
EOF
}

ferry_stats_pin() {
	echo /sys/fs/bpf/ferry/bench/ferry_stats
}

ferryctl() {
	"$FERRYCTL" --netns $NS_FW --instance bench "$@"
}

# Ferry on the firewall's two veths: XDP (ferry), XDP with the fast path
# for established flows (ferry_ff), or the TC hook (ferry_tc).
ferry_load() {
	local hook="--iface veth_a --iface veth_b"

	case $1 in
	ferry_ff) hook="$hook --fast-forward" ;;
	ferry_tc) hook="--tc veth_a --tc veth_b" ;;
	esac
	# shellcheck disable=SC2086
	ferryctl load $hook --rules "$tmp/ferry.rules" >/dev/null ||
		die "ferryctl load failed"
	ferry_loaded=1
}

ferry_unload() {
	ferryctl unload >/dev/null
	ferry_loaded=""
}

# Does Ferry hold veth_a's XDP hook in this mode?
ferry_xdp_mode() {
	[ "$1" = ferry ] || [ "$1" = ferry_ff ]
}

# The policy of a mode on the firewall: plain | nft | ferry | ferry_ff | ferry_tc.
mode_on() {
	case $1 in
	plain)	;;
	nft)	in_ns $NS_FW nft -f "$tmp/nft.rules" || die "nft -f failed" ;;
	ferry*)	ferry_load "$1" ;;
	esac
}

mode_off() {
	case $1 in
	plain)	;;
	nft)	in_ns $NS_FW nft flush ruleset
		in_ns $NS_FW conntrack -F >/dev/null 2>&1 ;;
	ferry*)	ferry_unload ;;
	esac
}

# TCP throughput src -> dst, one stream, in Gbit/s.
tcp_gbps() {
	local out gbps

	in_ns $NS_DST iperf3 -s -1 -B $DST4 -p $PORT_OK >/dev/null 2>&1 &
	iperf_pid=$!
	sleep 0.5
	out=$(timeout $((TCP_SECS + 15)) nsenter --net=/run/netns/$NS_SRC \
		iperf3 -c $DST4 -p $PORT_OK -t "$TCP_SECS" -f g 2>&1)
	kill "$iperf_pid" 2>/dev/null	# still waiting if the client failed
	wait "$iperf_pid" 2>/dev/null
	iperf_pid=""
	gbps=$(echo "$out" | awk '/receiver/ { print $(NF-2) }' | tail -n 1)
	if [ -z "$gbps" ]; then
		echo "bench_net: iperf3 failed: $out" >&2
		echo 0
		return
	fi
	echo "$gbps"
}

# Counters: what reaches the firewall's XDP hook and what reaches dst.
# The firewall side is our pass-counter on veth_a, or Ferry's own stats
# when Ferry holds veth_a.
sink_on() {
	in_ns $NS_DST "$BIN/ferry-pktgen" attach --iface veth0 --mode drop \
		--pin "$PIN/dst_rx" || die "cannot attach the sink"
	if ! ferry_xdp_mode "$1"; then
		in_ns $NS_FW "$BIN/ferry-pktgen" attach --iface veth_a --mode pass \
			--pin "$PIN/fw_rx" || die "cannot attach the fw counter"
	fi
}

sink_off() {
	ip -n $NS_DST link set dev veth0 xdp off
	ferry_xdp_mode "$1" || ip -n $NS_FW link set dev veth_a xdp off
	rm -f "$PIN/dst_rx" "$PIN/fw_rx"
}

fw_rx_pin() {
	if ferry_xdp_mode "$1"; then
		ferry_stats_pin
	else
		echo "$PIN/fw_rx"
	fi
}

# Small UDP frames for PPS_MS on one core: prints "<fw pps> <dst pps>".
# The generator, the firewall's receive path and the sink all run on
# core $CPU: each batch the generator sends is processed to the end
# before the next one, so the rates are what one core of the path
# sustains. They are per second the generator's thread spent on the CPU
# (its softirq work included), not per second of wall time, so that other
# load on the machine does not count (docs/benchmarks.md).
blast() {
	local mode=$1 dport=$2 flows=$3 out sent fw dst

	out=$(taskset -c "$CPU" nsenter --net=/run/netns/$NS_SRC \
		"$BIN/ferry-pktgen" send --iface veth0 \
		--dst-mac "$(mac_of $NS_FW veth_a)" --src $SRC4 --dst $DST4 \
		--sport 1024 --dport "$dport" --flows "$flows" \
		--duration "$PPS_MS" --rx fw="$(fw_rx_pin "$mode")" \
		--rx dst="$PIN/dst_rx") || die "ferry-pktgen send failed"
	sent=$(echo "$out" | awk '/^cpu/ { print $(NF-3) }')
	fw=$(echo "$out" | awk '/^rx fw/ { print $(NF-2) }')
	dst=$(echo "$out" | awk '/^rx dst/ { print $(NF-2) }')
	echo "$mode dport $dport flows $flows, per CPU-second: sent $sent, fw $fw, dst $dst" \
	     "($(echo "$out" | awk '/^rx dst/ { print $5 }') pps wall)" >&2
	echo "$fw $dst"
}

declare -A results

record() {
	results[$1]="${results[$1]:-} $2"
}

median() {
	printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# One core's ceiling of the generator itself: the firewall drops every
# frame at the first instruction of its XDP hook.
measure_ceiling() {
	local out

	in_ns $NS_FW "$BIN/ferry-pktgen" attach --iface veth_a --mode drop \
		--pin "$PIN/fw_rx" || die "cannot attach the fw drop counter"
	out=$(taskset -c "$CPU" nsenter --net=/run/netns/$NS_SRC \
		"$BIN/ferry-pktgen" send --iface veth0 \
		--dst-mac "$(mac_of $NS_FW veth_a)" --src $SRC4 --dst $DST4 \
		--dport $PORT_DENY --flows 60000 --duration "$PPS_MS" \
		--rx fw="$PIN/fw_rx") || die "ferry-pktgen send failed"
	ip -n $NS_FW link set dev veth_a xdp off
	rm -f "$PIN/fw_rx"
	record gen_ceiling_pps "$(echo "$out" | awk '/^rx fw/ { print $(NF-2) }')"
}

measure_mode() {
	local mode=$1 r fw dst

	mode_on "$mode"
	record "fwd_tcp_gbps_$mode" "$(tcp_gbps)"
	sink_on "$mode"
	r=$(blast "$mode" $PORT_OK 256)
	record "fwd_small_pps_$mode" "${r#* }"
	if [ "$mode" = nft ] || [ "$mode" = ferry ]; then
		r=$(blast "$mode" $PORT_DENY 60000)
		fw=${r% *}
		dst=${r#* }
		record "flood_drop_pps_$mode" "$((fw - dst))"
		[ "$dst" -ne 0 ] && echo "bench_net: $mode forwarded $dst pps of the denied flood" >&2
	fi
	sink_off "$mode"
	mode_off "$mode"
}

# Extra point: plain forwarding's TCP with an XDP program on the firewall's
# veths, which is what every XDP firewall on veth pays (no GSO from the peer).
measure_tcp_xdp() {
	in_ns $NS_FW "$BIN/ferry-pktgen" attach --iface veth_a --mode pass \
		--pin "$PIN/fw_rx" || die "cannot attach the pass program"
	in_ns $NS_FW "$BIN/ferry-pktgen" attach --iface veth_b --mode pass \
		--pin "$PIN/fw_rx_b" || die "cannot attach the pass program"
	record fwd_tcp_gbps_plain_xdp "$(tcp_gbps)"
	ip -n $NS_FW link set dev veth_a xdp off
	ip -n $NS_FW link set dev veth_b xdp off
	rm -f "$PIN/fw_rx" "$PIN/fw_rx_b"
}

# SNAT: the TCP stream leaves fw with a pool address (Ferry, XDP on both
# veths, pool 198.18.2.200) or with veth_b's address (nftables masquerade
# after the same stateful forward policy). dst reaches the pool address
# through fw by a static neighbour entry: no address on fw answers for it.
SNAT_POOL4=198.18.2.200
measure_snat() {
	local gbps

	ip -n $NS_DST neigh replace $SNAT_POOL4 lladdr "$(mac_of $NS_FW veth_b)" \
		dev veth0 nud permanent
	ferryctl load --iface veth_a --iface veth_b --rules "$tmp/ferry.rules" \
		--snat "0:$SNAT_POOL4:20000-29999@198.18.1.0/24" >/dev/null ||
		die "ferryctl load --snat failed"
	ferry_loaded=1
	gbps=$(tcp_gbps)
	[ "$(ferryctl ct list --json | grep -c '"kind":"snat"')" -ge 1 ] ||
		echo "bench_net: Ferry did not translate the SNAT stream" >&2
	record net_tcp_snat_ferry "$gbps"
	ferry_unload
	in_ns $NS_FW nft -f "$tmp/nft.rules" || die "nft -f failed"
	in_ns $NS_FW nft -f - <<EOF || die "nft masquerade failed"
table ip bchnat {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "veth_b" masquerade
	}
}
EOF
	record net_tcp_snat_nft "$(tcp_gbps)"
	in_ns $NS_FW nft flush ruleset
	in_ns $NS_FW conntrack -F >/dev/null 2>&1
}

# Extra point: Ferry's TC entry (ferry_tc) on the veths' TC ingress.
measure_tcp_ferry_tc() {
	mode_on ferry_tc
	record fwd_tcp_gbps_ferry_tc "$(tcp_gbps)"
	mode_off ferry_tc
}

best() {
	printf '%s\n' $1 | sort -g | tail -n 1
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'
}

report() {
	local name unit m
	declare -A med top ns

	for name in "${!results[@]}"; do
		med[$name]=$(median "${results[$name]}")
		top[$name]=$(best "${results[$name]}")
		echo "bench_net: $name runs:${results[$name]}" >&2
	done
	for name in fwd_tcp_gbps_plain fwd_tcp_gbps_plain_xdp fwd_tcp_gbps_nft \
		    fwd_tcp_gbps_ferry fwd_tcp_gbps_ferry_ff fwd_tcp_gbps_ferry_tc \
		    gen_ceiling_pps fwd_small_pps_plain fwd_small_pps_nft \
		    fwd_small_pps_ferry fwd_small_pps_ferry_ff flood_drop_pps_nft \
		    flood_drop_pps_ferry net_tcp_snat_ferry net_tcp_snat_nft; do
		case $name in
		net_tcp_snat_*) unit=Gbit/s ;;
		*gbps*) unit=Gbit/s ;;
		*) unit=pps ;;
		esac
		echo "bench: $name ${med[$name]:-nan} $unit"
	done
	# Nanoseconds of firewall work per packet beyond the bare XDP drop
	# of the ceiling run (1/rate - 1/ceiling).
	for name in fwd_small_pps_plain fwd_small_pps_nft fwd_small_pps_ferry \
		    fwd_small_pps_ferry_ff flood_drop_pps_nft flood_drop_pps_ferry; do
		m=$(awk -v r="${med[$name]:-0}" -v c="${med[gen_ceiling_pps]:-0}" \
			'BEGIN { if (r > 0 && c > 0) printf "%.0f", 1e9 / r - 1e9 / c; else print "nan" }')
		echo "bench: ${name/_pps_/_extra_ns_} $m ns"
		ns[$name]=$m
	done
	echo "bench: ratio_tcp_ferry_vs_nft $(ratio "${med[fwd_tcp_gbps_ferry]}" "${med[fwd_tcp_gbps_nft]}") x"
	echo "bench: ratio_tcp_ferry_ff_vs_nft $(ratio "${med[fwd_tcp_gbps_ferry_ff]}" "${med[fwd_tcp_gbps_nft]}") x"
	echo "bench: ratio_tcp_ferry_tc_vs_nft $(ratio "${med[fwd_tcp_gbps_ferry_tc]}" "${med[fwd_tcp_gbps_nft]}") x"
	echo "bench: ratio_tcp_snat_ferry_vs_nft $(ratio "${med[net_tcp_snat_ferry]}" "${med[net_tcp_snat_nft]}") x"
	echo "bench: ratio_small_ferry_vs_nft $(ratio "${med[fwd_small_pps_ferry]}" "${med[fwd_small_pps_nft]}") x"
	echo "bench: ratio_small_ferry_ff_vs_nft $(ratio "${med[fwd_small_pps_ferry_ff]}" "${med[fwd_small_pps_nft]}") x"
	echo "bench: ratio_flood_drop_ferry_vs_nft $(ratio "${med[flood_drop_pps_ferry]}" "${med[flood_drop_pps_nft]}") x"
	# Firewall work alone: nftables' extra nanoseconds over Ferry's.
	echo "bench: ratio_small_cost_nft_vs_ferry $(ratio "${ns[fwd_small_pps_nft]}" "${ns[fwd_small_pps_ferry]}") x"
	echo "bench: ratio_flood_drop_cost_nft_vs_ferry $(ratio "${ns[flood_drop_pps_nft]}" "${ns[flood_drop_pps_ferry]}") x"
	# The same from each figure's best run: other load on the machine only
	# ever lowers a rate, so the best run is the least disturbed one.
	echo "bench: ratio_small_ferry_vs_nft_best $(ratio "${top[fwd_small_pps_ferry]}" "${top[fwd_small_pps_nft]}") x"
	echo "bench: ratio_flood_drop_ferry_vs_nft_best $(ratio "${top[flood_drop_pps_ferry]}" "${top[flood_drop_pps_nft]}") x"
}

main() {
	local run mode

	check_env
	write_policies
	setup_net
	echo "bench_net: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	echo "bench_net: $RUNS runs; packet tests ${PPS_MS} ms on CPU $CPU; TCP ${TCP_SECS} s;" \
	     "Ferry loaded by ferryctl" >&2
	for run in $(seq 1 "$RUNS"); do
		echo "bench_net: run $run" >&2
		measure_ceiling
		for mode in ${BENCH_MODES:-plain nft ferry ferry_ff}; do
			measure_mode "$mode"
		done
		measure_tcp_xdp
		measure_tcp_ferry_tc
		measure_snat
	done
	echo "bench_net: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	report
}

main "$@"
