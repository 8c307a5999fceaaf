#!/bin/bash
# Build the vmtest initramfs for one kernel, reproducibly: same inputs, same
# bytes (sorted cpio, owner root, every mtime SOURCE_DATE_EPOCH).
#   vmtest/mkinitramfs.sh KROOT KVER OUT.cpio TEST...
# KROOT is the unpacked kernel package (vmtest/fetch-kernel.sh). The image
# holds busybox (static), bash and the userspace tools the tests use with
# their shared libraries (found with ldd, copied from this machine's Debian
# packages), the kernel modules of vmtest/modules.list with their
# dependencies, the tests themselves under /ferry, and vmtest/init.
set -euo pipefail

kroot=${1:?usage: mkinitramfs.sh KROOT KVER OUT TEST...}
kver=${2:?usage}
out=${3:?usage}
shift 3
tests="$*"

BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in
/*)	build=$BUILD ;;
*)	build=$top/$BUILD ;;
esac
epoch=${SOURCE_DATE_EPOCH:-0}
# Userspace the tests may call; missing ones are left out with a note.
bins="bash timeout mountpoint ip tc bpftool nft conntrack ethtool iperf3 jq ping nsenter setpriv"

root="$out.d"
rm -rf "$root"
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc/vmtest,proc,sys,dev,tmp,run,ferry}
for d in bin sbin lib lib64; do
	ln -s "usr/$d" "$root/$d"
done

copied=" "
# Copy a file to the same path in the image, symlinks resolved.
put() {
	case $copied in *" $1 "*) return 0 ;; esac
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
	copied="$copied$1 "
}

# The shared libraries an ELF file needs (nothing for a script).
put_libs() {
	local lib
	for lib in $(ldd "$1" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		put "$lib"
	done
}

# An ELF file and its libraries.
put_elf() {
	put "$1"
	put_libs "$1"
}

for b in $bins; do
	p=$(command -v "$b" || true)
	if [ -z "$p" ]; then
		echo "vmtest: $b not installed, left out of the image" >&2
		continue
	fi
	put_elf "$p"
done

# busybox provides every other command, as links to it.
busybox=$(command -v busybox)
cp "$busybox" "$root/usr/bin/busybox"
for a in $("$busybox" --list); do
	[ -e "$root/usr/bin/$a" ] || [ -e "$root/usr/sbin/$a" ] ||
		ln -s busybox "$root/usr/bin/$a"
done
for f in /etc/protocols /etc/services /etc/ethertypes; do
	[ -e "$f" ] && put "$f"
done
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

# Kernel modules in dependency order (dependencies first).
moddir="lib/modules/$kver"
declare -A seen=()
order=()
add_module() {
	local path=$1 dep
	[ -n "${seen[$path]:-}" ] && return 0
	seen[$path]=1
	for dep in $(awk -v m="$path:" '$1 == m { $1 = ""; print }' "$kroot/$moddir/modules.dep"); do
		add_module "$dep"
	done
	order+=("$path")
}
while read -r m; do
	case $m in ''|'#'*) continue ;; esac
	path=$(awk -v m="$m" '{ p = $1; sub(/:$/, "", p); n = p; sub(/.*\//, "", n);
		sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n);
		if (n == m) { print p; exit } }' "$kroot/$moddir/modules.dep")
	if [ -z "$path" ]; then
		if grep -q "/$m\.ko" "$kroot/$moddir/modules.builtin"; then
			continue
		fi
		echo "vmtest: module $m not in kernel $kver, left out" >&2
		continue
	fi
	add_module "$path"
done < "$top/vmtest/modules.list"
mkdir -p "$root/$moddir"
: > "$root/etc/vmtest/modules"
for path in "${order[@]}"; do
	dst="$root/$moddir/${path%.ko*}.ko"
	mkdir -p "$(dirname "$dst")"
	case $path in
	*.xz)	xz -dc "$kroot/$moddir/$path" > "$dst" ;;
	*.zst)	zstd -qdc "$kroot/$moddir/$path" > "$dst" ;;
	*.gz)	gzip -dc "$kroot/$moddir/$path" > "$dst" ;;
	*)	cp "$kroot/$moddir/$path" "$dst" ;;
	esac
	echo "/$moddir/${path%.ko*}.ko" >> "$root/etc/vmtest/modules"
done

# The project: test runner and scripts, built tests and BPF objects.
cp -r "$top/selftests" "$root/ferry/selftests"
find "$root/ferry/selftests" -name '*.[cho]' -delete
mkdir -p "$root/ferry/build/selftests/bin"
for t in "$build"/selftests/bin/*; do
	[ -f "$t" ] || continue
	cp "$t" "$root/ferry/build/selftests/bin/"
	put_libs "$t"
done
for d in bpf bin; do
	[ -d "$build/$d" ] || continue
	mkdir -p "$root/ferry/build/$d"
	find "$build/$d" -maxdepth 1 -type f ! -name '*.d' \
		-exec cp {} "$root/ferry/build/$d/" \;
	for f in "$build/$d"/*; do
		if [ -f "$f" ] && [ -x "$f" ]; then
			put_libs "$f"
		fi
	done
done
echo "$tests" > "$root/etc/vmtest/tests"
cp "$top/vmtest/init" "$root/init"
chmod 755 "$root/init"

find "$root" -exec touch -h -d "@$epoch" {} +
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --reproducible -R 0:0 --quiet) > "$out"
rm -rf "$root"
