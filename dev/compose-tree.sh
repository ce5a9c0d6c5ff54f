#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Compose build/linux = base + patches/ (quilt) + the sparse tree.
#
# Re-running is cheap and keeps incremental kernel builds incremental:
#  - the base is unpacked once (again only when BASE changes);
#  - the quilt series is popped and pushed again only when patches/ changed,
#    and every file whose content came out the same gets its old mtime back;
#  - sparse-tree files are copied only when their content differs, and files
#    removed from the repository are removed from build/linux.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
SRC=${SRC:-$BUILD/linux}
BASE=${BASE:-/usr/src/linux-source-6.12.tar.xz}

export QUILTRC="$TOP/dev/quiltrc"
export QUILT_PATCHES=patches

mkdir -p "$BUILD"

# 1. The base tree.
if [ -d "$BASE" ]; then
	base_dir=$(cd "$BASE" && pwd)
	base_id="dir:$base_dir"
elif [ -f "$BASE" ]; then
	base_dir=$BUILD/base
	base_id="tar:$(readlink -f "$BASE"):$(stat -c '%s:%Y' "$BASE")"
	if [ "$(cat "$BUILD/.base-id" 2>/dev/null)" != "$base_id" ]; then
		echo "  UNPACK  $BASE"
		rm -rf "$base_dir" "$BUILD/.base-id"
		mkdir -p "$base_dir"
		tar -xf "$BASE" -C "$base_dir" --strip-components=1
		echo "$base_id" > "$BUILD/.base-id"
	fi
else
	echo "compose: BASE=$BASE is neither a directory nor a tarball" >&2
	exit 1
fi
[ -f "$base_dir/Makefile" ] && [ -d "$base_dir/kernel" ] ||
	{ echo "compose: $base_dir is not a kernel tree" >&2; exit 1; }

# Record and print the exact base version once per base.
if [ "$(sed -n 1p "$BUILD/base-version.txt" 2>/dev/null)" != "$base_id" ]; then
	kver=$(make -s -C "$base_dir" kernelversion 2>/dev/null)
	pkg=""
	if [ "$(readlink -f "$BASE")" = /usr/src/linux-source-6.12.tar.xz ]; then
		pkg=$(dpkg-query -W -f='Debian linux-source-6.12 ${Version}' \
			linux-source-6.12 2>/dev/null || true)
	fi
	printf '%s\nLinux %s%s\n' "$base_id" "$kver" "${pkg:+ ($pkg)}" \
		> "$BUILD/base-version.txt"
fi
echo "  BASE    $(sed -n 2p "$BUILD/base-version.txt") from $BASE"

# 2. The composed tree: a copy of the base, redone only when the base changed.
if [ "$(cat "$SRC/.lu-base" 2>/dev/null)" != "$base_id" ]; then
	echo "  COPY    base -> build/linux"
	rm -rf "$SRC"
	mkdir -p "$SRC"
	rsync -a --exclude=/.git "$base_dir/" "$SRC/"
	ln -s ../../patches "$SRC/patches"
	echo "$base_id" > "$SRC/.lu-base"
fi

# 3. The quilt series of base edits.
series_hash=$(cd "$TOP/patches" &&
	cat series $(grep -Ev '^[[:space:]]*(#|$)' series) | sha1sum | cut -d' ' -f1)
if [ "$(cat "$SRC/.lu-series-hash" 2>/dev/null)" != "$series_hash" ]; then
	cd "$SRC"
	declare -A old_sum old_mtime
	if [ -d .pc ]; then
		while IFS= read -r f; do
			[ -f "$f" ] || continue
			old_sum[$f]=$(sha1sum < "$f")
			old_mtime[$f]=$(stat -c %Y "$f")
		done < <(find .pc -mindepth 2 -type f ! -name '.*' |
			 cut -d/ -f3- | sort -u)
	fi
	# Pop what is applied, one patch at a time. A patch is reversed with
	# its file in patches/ if that still matches (a quilt refresh in
	# build/linux updates it), else with the copy taken when it was
	# applied (.lu-applied/): patches/ may have changed since (git pull,
	# another branch), and quilt refuses to pop a patch that no longer
	# reverses cleanly. If neither reverses, build/linux has edits that
	# were never refreshed. (quilt reads both locations from
	# .pc/.quilt_series and .pc/.quilt_patches.)
	mkdir -p .lu-applied
	while [ -s .pc/applied-patches ]; do
		top=$(tail -n 1 .pc/applied-patches)
		cp .pc/applied-patches .lu-applied/series
		echo "$SRC/.lu-applied/series" > .pc/.quilt_series
		popped=
		for dir in "$SRC/patches" "$SRC/.lu-applied"; do
			[ -f "$dir/$top" ] || continue
			echo "$dir" > .pc/.quilt_patches
			if quilt pop -q >/dev/null 2>&1; then
				popped=1
				break
			fi
		done
		echo series > .pc/.quilt_series
		echo patches > .pc/.quilt_patches
		[ -n "$popped" ] || {
			echo "compose: cannot pop $top: refresh your edits in build/linux" \
			     "(quilt refresh) or move them into patches/ first" >&2
			exit 1
		}
	done
	if grep -Eqv '^[[:space:]]*(#|$)' patches/series; then
		quilt push -a -q >/dev/null || {
			echo "compose: a patch in patches/series does not apply:" >&2
			quilt push -a 2>&1 | tail -n 20 >&2
			exit 1
		}
	fi
	rm -rf .lu-applied
	mkdir .lu-applied
	cp patches/*.patch .lu-applied/ 2>/dev/null || true
	kept=0
	for f in "${!old_sum[@]}"; do
		if [ -f "$f" ] && [ "$(sha1sum < "$f")" = "${old_sum[$f]}" ]; then
			touch -d "@${old_mtime[$f]}" "$f"
			kept=$((kept + 1))
		fi
	done
	echo "$series_hash" > .lu-series-hash
	echo "  QUILT   $(quilt applied 2>/dev/null | wc -l) patches applied ($kept files unchanged)"
	cd "$TOP"
fi

# 4. The sparse tree: every tracked or new file outside the glue.
glue='^(Makefile|README\.md|\.gitignore|\.ci/|dev/|patches/|build/)'
mapfile -t files < <(cd "$TOP" && git ls-files -co --exclude-standard |
		     grep -Ev "$glue" | sort)
copied=0
for f in "${files[@]}"; do
	if [ -e "$base_dir/$f" ]; then
		echo "compose: $f exists in the base tree; change it with a patch" >&2
		exit 1
	fi
	[ -f "$TOP/$f" ] || continue
	if ! cmp -s "$TOP/$f" "$SRC/$f"; then
		mkdir -p "$(dirname "$SRC/$f")"
		cp --preserve=mode "$TOP/$f" "$SRC/$f"
		copied=$((copied + 1))
	fi
done
removed=0
if [ -f "$SRC/.lu-overlay" ]; then
	while IFS= read -r f; do
		rm -f "$SRC/$f"
		rmdir -p --ignore-fail-on-non-empty "$(dirname "$SRC/$f")" 2>/dev/null || true
		removed=$((removed + 1))
	done < <(comm -23 "$SRC/.lu-overlay" <(printf '%s\n' "${files[@]}"))
fi
printf '%s\n' "${files[@]}" > "$SRC/.lu-overlay"
echo "  OVERLAY ${#files[@]} files ($copied updated, $removed removed)"
