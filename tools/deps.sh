#!/bin/sh
# Install the Debian packages Ferry needs, only those that are missing.
set -eu

PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
pkg-config libsodium-dev libmsgpack-dev libcmocka-dev libinih-dev iproute2 iperf3
nftables conntrack ethtool jq iputils-ping procps
qemu-system-x86 busybox-static cpio kmod xz-utils python3-cryptography"
# clang -target bpf defines no __x86_64__, so glibc's headers (pulled in by
# <linux/icmp.h> through <linux/if.h>) ask for the 32-bit stubs on amd64.
[ "$(dpkg --print-architecture)" = amd64 ] && PKGS="$PKGS libc6-dev-i386"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
