#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# $OBJ/.config (build/obj, or build/obj-debug for make kernel-debug) =
# tinyconfig + the fragments given as arguments, through olddefconfig.
# With BASECONFIG=<file> (plain or .xz: a distribution's config) the start
# is that file instead, less what it builds as modules (kept with
# KEEP_MODULES=1).
# Regenerated only when a fragment or the base changed. Fails loudly when
# olddefconfig dropped or changed a line of any fragment (a missing
# dependency), since a test would then silently lose its feature.
set -euo pipefail
: "${SRC:?}" "${OBJ:?}" "${BUILD:?}"

kmake() { make -s -C "$SRC" O="$OBJ" ARCH=x86_64 "$@"; }

base() {
	if [ -n "${BASECONFIG:-}" ]; then
		if [ -n "${KEEP_MODULES:-}" ]; then
			xz -dcf "$BASECONFIG"
		else
			xz -dcf "$BASECONFIG" | sed -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=m$/# \1 is not set/'
		fi
	fi
}

inputs=$( (base; cat "$@"; cat "$BUILD/base-version.txt"; cat "$SRC/.lu-series-hash" 2>/dev/null) |
	  sha1sum | cut -d' ' -f1)
[ -f "$OBJ/.config" ] && [ "$(cat "$OBJ/.lu-config-inputs" 2>/dev/null)" = "$inputs" ] &&
	exit 0

echo "  CONFIG  ${BASECONFIG:-tinyconfig} + $(for f in "$@"; do printf '%s ' "${f#"$SRC"/}"; done)"
mkdir -p "$OBJ"
if [ -n "${BASECONFIG:-}" ]; then
	base > "$OBJ/.config"
else
	kmake tinyconfig >/dev/null
fi
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$@" >/dev/null
kmake olddefconfig >/dev/null

bad=0
for frag in "$@"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF -- "$line" "$OBJ/.config" && continue ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			grep -q "^$sym=" "$OBJ/.config" || continue ;;
		*)
			continue ;;
		esac
		sym=$(echo "$line" | grep -oE 'CONFIG_[A-Za-z0-9_]+')
		have=$(grep -E "^$sym=|^# $sym is not set" "$OBJ/.config" || echo "(absent)")
		echo "config: ${frag#"$SRC"/}: '$line' did not survive olddefconfig: $have" >&2
		bad=1
	done < "$frag"
done
if [ $bad -ne 0 ]; then
	rm -f "$OBJ/.lu-config-inputs"
	exit 1
fi
echo "$inputs" > "$OBJ/.lu-config-inputs"
