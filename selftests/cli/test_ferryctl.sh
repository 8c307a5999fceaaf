#!/bin/bash
# ferryctl as an operator meets it: malformed arguments are refused with a
# message naming the problem and change nothing; a reload keeps every
# tracked flow and the attachments; pinned state of another layout version
# is refused; unload removes everything.
cd "$(dirname "$0")/../.." || exit 1
. selftests/net/lib.sh
INSTANCE=clitest
stale() { "$FERRYCTL" --netns "$NS_FW" --instance clistale "$@"; }

[ -x "$FERRYCTL" ] || fail "no $FERRYCTL (make first)"
path_setup ncli

# refused NAME EXPECTED-MESSAGE ARGS...: exit status non-zero, message shown.
refused() {
	local what=$1 msg=$2 out rc
	shift 2
	out=$("$FERRYCTL" --netns "$NS_FW" --instance "$INSTANCE" "$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		fail "$what: accepted: ferryctl $*"
	fi
	echo "$out" | grep -qF -- "$msg" || fail "$what: message '$msg' not in: $out"
	echo "ok: $what refused ($msg)"
}

rules=$(mktemp -d)
trap 'rm -rf "$rules"; stale unload >/dev/null 2>&1; path_cleanup' EXIT
printf 'allow proto tcp from 198.18.0.0/24 to 198.18.1.0/24 dport 5201\n' > "$rules/good.conf"
printf 'allow proto tcp from 198.18.0.0/33\n' > "$rules/bad.conf"

refused "unknown command" "unknown command 'lod'" lod
refused "unknown option" "unrecognized option" load --ifase fw_a
refused "bad instance name" "bad instance name" --instance "a/b" status
refused "missing interface" "--iface 'nope0': no such interface here" load --iface nope0
refused "bad table size" "--ct-max 'lots': must be" load --ct-max lots
refused "zero table size" "--ct-max '0': must be" load --ct-max 0
refused "bad zone spec" "expected IF[.VLAN]=ZONE" load --zone fw_a
refused "bad zone number" "zone must be a number" load --zone fw_a=x
refused "bad VLAN" "VLAN must be 1..4094" load --zone fw_a.4095=1
refused "unknown state" "unknown state 'sleepy'" load --timeout sleepy=5
refused "bad timeout" "seconds must be" load --timeout established=-1
refused "bad XDP mode" "expected auto, native or generic" load --xdp-mode turbo
refused "bad rule file" "bad.conf:1: bad prefix '198.18.0.0/33'" load --rules "$rules/bad.conf"
refused "missing rule file" "nope.conf" load --rules "$rules/nope.conf"
refused "stray argument" "unexpected argument 'extra'" load extra
refused "status of nothing" "has no map" status
# none of these left anything behind
check "refused loads left no pinned state" \
	[ ! -e /sys/fs/bpf/ferry/$INSTANCE/ferry_ct -o -z "$(ferry ct list --json 2>/dev/null | jq '.[]')" ]

ferry load --iface fw_a --iface fw_b --rules "$rules/good.conf" || fail "load"
refused "a rule file with an error on a loaded instance" "bad prefix" rules load "$rules/bad.conf"
check "the rules in force are unchanged" \
	[ "$(ferry rules show 2>/dev/null | wc -l)" -eq 1 ]

# A live flow, then a reload (as after an upgrade): the flow stays tracked
# and keeps passing; the XDP links now run the new program.
FLOWCHECK=${BUILD:-build}/selftests/bin/flowcheck
bg "$NS_DST" "$FLOWCHECK" server 5201
sleep 1
exec 3< <(ip netns exec "$NS_SRC" "$FLOWCHECK" client 198.18.1.2 5201 2000000000)
sleep 0.3
flows_before=$(ferry ct list --json | jq '[.[] | select(.dport == 5201)] | length')
prog_before=$(ip -n "$NS_FW" -j link show fw_a | jq '.[0].xdp.prog.id')
ferry load --iface fw_a --iface fw_b >/dev/null || fail "reload"
prog_after=$(ip -n "$NS_FW" -j link show fw_a | jq '.[0].xdp.prog.id')
result=$(cat <&3)
intact=$(echo "$result" | sed -n 's/.* intact \([0-9]*\).*/\1/p')
check "a 2 GB transfer across the reload arrived intact ($result)" \
	[ "$intact" = 2000000000 ]
check "flows tracked before the reload ($flows_before) are still there" \
	[ "$(ferry ct list --json | jq '[.[] | select(.dport == 5201)] | length')" -ge "$flows_before" ]
check "the reload moved fw_a to the new program ($prog_before -> $prog_after)" \
	[ "$prog_before" != "$prog_after" -a "$prog_after" != null ]
check "nothing was dropped" [ "$(stat drop-invalid)" -eq 0 -a "$(stat drop-out-of-window)" -eq 0 ]

# Pinned state of another layout version is refused, and left alone.
meta=/sys/fs/bpf/ferry/$INSTANCE/ferry_meta
bpftool map update pinned "$meta" key 0 0 0 0 value \
	0x59 0x52 0x45 0x46 99 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 ||
	fail "bpftool map update"
refused "pinned state of another layout" "layout version 99" load --iface fw_a
check "the refused state is still pinned" [ -e "$meta" ]

# A pinned XDP link outlives its interface (the namespace or the veth was
# deleted): a load on the new interface of that name attaches anew.
ip -n "$NS_FW" link add st0 type veth peer name st1 || fail "veth st0"
ip -n "$NS_FW" link set st0 up
stale load --iface st0 >/dev/null || fail "load on st0"
ip -n "$NS_FW" link del st0
ip -n "$NS_FW" link add st0 type veth peer name st1 || fail "veth st0 again"
ip -n "$NS_FW" link set st0 up
out=$(stale load --iface st0 2>&1)
check "a load over a severed pinned link attaches anew ($out)" \
	[ "$(ip -n "$NS_FW" -j link show st0 | jq '.[0].xdp.prog.id')" != null ]
echo "$out" | grep -qF "for a deleted interface" ||
	fail "no message about the stale link in: $out"
stale unload >/dev/null || fail "unload clistale"

ferry unload >/dev/null || fail "unload"
check "unload removed the pinned state" [ ! -e /sys/fs/bpf/ferry/$INSTANCE ]
check "unload detached XDP" [ "$(ip -n "$NS_FW" -j link show fw_a | jq '.[0].xdp')" = null ]
echo "all checks passed"
