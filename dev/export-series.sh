#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Export the series as git format-patch files in build/series/.
#
# Each commit of the series is described by one file patches/commits/*.msg,
# taken in file-name order:
#
#   subsystem: summary                  <- subject
#                                       <- blank line
#   Why, then what (the commit body).
#
#   Patch: <quilt patch in patches/>    <- base edits this commit carries
#   File: <path>                        <- sparse-tree files (or dir/) it adds
#
# The Patch: names, in commit order, must be exactly patches/series; every
# sparse-tree file must be claimed by a File: line (the longest matching
# path wins) and every File: line must claim something. The claiming commit
# adds the file.
#
# A later commit that changes a sparse file an earlier one added (the LUO
# commit adds its entries to kernel/liveupdate/Kconfig) carries the change
# as a unified diff, patches/commits/<commit>/<path>.diff (<commit> is the
# .msg name without .msg). The tree holds the final file; each earlier
# version is found by reverse-applying the diffs of the later commits, the
# last one first, without fuzz, so a diff that no longer matches the file
# fails here instead of exporting a wrong series. The versions are kept in
# build/series-stages/<commit>/<path>.
#
# The commits are built in a git repository holding the pristine base
# (build/series-git, created once per base, checked out sparsely),
# formatted with git format-patch, then checked: git am of the patches onto
# the base must give the same tree, and that tree must be identical to
# build/linux.
set -euo pipefail
: "${TOP:?}" "${BUILD:?}" "${SRC:?}"

GIT=$BUILD/series-git
OUT=$BUILD/series
base_id=$(cat "$SRC/.lu-base")
base_dir=$(sed -n 's/^dir://p' <<< "$base_id")
[ -n "$base_dir" ] || base_dir=$BUILD/base

die() { echo "series: $*" >&2; exit 1; }
# gc.auto=0: the repository is a build product; an automatic gc after the
# base commit repacked its 90,000 objects with delta search, minutes of CPU
# in the background of the steps after it. A split index: each commit and
# each patch of git am rewrite only the entries they change, not the 9 MiB
# index of the whole base (the export took 136 s with a warm base, now 75).
# Only one shared index file is kept.
git_() {
	git -C "$GIT" -c core.autocrlf=false -c advice.detachedHead=false \
		-c gc.auto=0 -c core.splitIndex=true \
		-c splitIndex.sharedIndexExpire=now "$@"
}

mapfile -t msgs < <(find "$TOP/patches/commits" -name '*.msg' | sort)
[ ${#msgs[@]} -gt 0 ] || die "no commits in patches/commits/"

# 1. Validate the commit descriptions against patches/series and the tree.
mapfile -t quilt < <(grep -Ev '^[[:space:]]*(#|$)' "$TOP/patches/series" || true)
mapfile -t claimed < <(sed -n 's/^Patch: *//p' "${msgs[@]}")
[ "${quilt[*]}" = "${claimed[*]}" ] ||
	die "Patch: lines (${claimed[*]:-none}) do not match patches/series (${quilt[*]:-none})"

declare -A owner
mapfile -t files < "$SRC/.lu-overlay"
for f in "${files[@]}"; do
	best="" best_len=0
	for m in "${msgs[@]}"; do
		while IFS= read -r c; do
			if [ "$f" = "$c" ] || { [ "${c: -1}" = / ] && [ "${f#"$c"}" != "$f" ]; }; then
				[ ${#c} -gt $best_len ] && best=$m best_len=${#c}
			fi
		done < <(sed -n 's/^File: *//p' "$m")
	done
	[ -n "$best" ] || die "$f is not claimed by any File: line in patches/commits/"
	owner[$f]=$best
done
for m in "${msgs[@]}"; do
	while IFS= read -r c; do
		hit=0
		for f in "${files[@]}"; do
			{ [ "$f" = "$c" ] || { [ "${c: -1}" = / ] && [ "${f#"$c"}" != "$f" ]; }; } &&
				hit=1 && break
		done
		[ $hit = 1 ] || die "$(basename "$m"): 'File: $c' matches no file"
	done < <(sed -n 's/^File: *//p' "$m")
done

# Diffs of later commits on files added earlier: version[<msg>|<path>] is
# the file as that commit leaves it.
STAGES=$BUILD/series-stages
rm -rf "$STAGES"
declare -A version diffs
for m in "${msgs[@]}"; do
	d=${m%.msg}
	[ -d "$d" ] || continue
	while IFS= read -r rel; do
		f=${rel%.diff}
		[ "$f" != "$rel" ] || die "$(basename "$d")/$rel: only <path>.diff files belong here"
		[ -n "${owner[$f]:-}" ] ||
			die "$(basename "$d")/$rel: $f is not a sparse-tree file"
		[[ "$(basename "${owner[$f]}")" < "$(basename "$m")" ]] ||
			die "$(basename "$d")/$rel: $(basename "${owner[$f]}") adds $f, not an earlier commit"
		diffs[$f]="${diffs[$f]:-} $m"
	done < <(cd "$d" && find . -type f -printf '%P\n' | sort)
done
for f in "${!diffs[@]}"; do
	cur=$TOP/$f
	read -r -a ms <<< "${diffs[$f]}"
	for ((i = ${#ms[@]} - 1; i >= 0; i--)); do
		m=${ms[i]}
		version[$m|$f]=$cur
		if [ $i -gt 0 ]; then b=${ms[i - 1]}; else b=${owner[$f]}; fi
		prev=$STAGES/$(basename "$b" .msg)/$f
		mkdir -p "$(dirname "$prev")"
		patch -s -R -F0 -r - -o "$prev" "$cur" "${m%.msg}/$f.diff" >/dev/null ||
			die "$(basename "${m%.msg}")/$f.diff does not reverse-apply to ${cur#"$TOP"/}; refresh it"
		cur=$prev
	done
	version[${owner[$f]}|$f]=$cur
done

# 2. A git repository with the pristine base, made once per base. The
# base is committed straight from its directory, and only what the series
# and checkpatch.pl need is checked out (sparse): the files the series
# adds or changes, scripts/, include/ (CamelCase seeds), LICENSES/ (SPDX)
# and what makes checkpatch.pl see the top of a kernel tree. A full work
# tree would be another copy of the kernel sources on the disk.
if [ "$(cat "$GIT/.lu-base" 2>/dev/null)" != "$base_id" ]; then
	echo "  GIT     committing the pristine base (once per base)"
	rm -rf "$GIT"
	mkdir -p "$GIT"
	git_ init -q
	# Straight into one pack (bulk check-in: every file is above
	# core.bigFileThreshold), deflated fast, without delta search: 330
	# MiB on the disk, where 90,000 loose objects took 560 MiB.
	git_ -c core.bigFileThreshold=1 -c core.compression=1 \
		--work-tree="$base_dir" add -A -f
	git_ -c user.name=base -c user.email=base@localhost \
		commit -q -m "Linux $(sed -n 2p "$BUILD/base-version.txt")"
	git_ tag -f base >/dev/null
	echo "$base_id" > "$GIT/.lu-base"
fi
echo ".lu-base" > "$GIT/.git/info/exclude"
# Top-level files, no directories, then the ones named (order matters).
{
	printf '%s\n' '/*' '!/*/'
	{
		printf '%s\n' /scripts/ /include/ /LICENSES/ \
			/Documentation/Makefile /arch/Kconfig /drivers/Makefile \
			/fs/Makefile /init/Makefile /ipc/Makefile \
			/kernel/Makefile /lib/Makefile
		sed -n 's@^\(+++\|---\) [^/]*/\([^[:space:]]*\).*@/\2@p' \
			"${quilt[@]/#/$TOP/patches/}"
		printf '/%s\n' "${files[@]}"
	} | sort -u
} | git_ sparse-checkout set --no-cone --stdin
git_ checkout -q -f -B series base
git_ clean -q -f -d -x -e .lu-base

# 3. One commit per description.
name=$(git -C "$TOP" config user.name || echo "Live Update developers")
email=$(git -C "$TOP" config user.email || echo "liveupdate@localhost")
date=$(git -C "$TOP" log -1 --format=%aD 2>/dev/null || date -R)
for m in "${msgs[@]}"; do
	while IFS= read -r p; do
		git_ apply --index "$TOP/patches/$p" || die "$p does not apply in series order"
	done < <(sed -n 's/^Patch: *//p' "$m")
	added=()
	for f in "${files[@]}"; do
		src=${version[$m|$f]:-}
		[ -n "$src" ] || { [ "${owner[$f]}" = "$m" ] && src=$TOP/$f; } || continue
		mkdir -p "$(dirname "$GIT/$f")"
		cp "$src" "$GIT/$f"
		chmod --reference="$TOP/$f" "$GIT/$f"
		added+=("$f")
	done
	# One git add per commit: each call rewrites the 80,000-entry index.
	[ ${#added[@]} = 0 ] || git_ add -f -- "${added[@]}"
	grep -Ev '^(Patch|File):' "$m" > "$GIT/.git/lu-msg"
	GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
	git_ -c user.name="$name" -c user.email="$email" \
		commit -q --allow-empty -F "$GIT/.git/lu-msg" ||
		die "commit for $(basename "$m") failed"
done

rm -rf "$OUT"
git_ format-patch -q -o "$OUT" --no-signature base..series
echo "  SERIES  $(ls "$OUT" | wc -l) patches in build/series/"

# 4. The patches apply to the pristine base and give build/linux exactly.
git_ checkout -q -f -B series-am base
git_ -c user.name="$name" -c user.email="$email" am -q "$OUT"/*.patch ||
	{ git_ am --abort || true; die "git am of build/series onto the base failed"; }
[ "$(git_ rev-parse 'series-am^{tree}')" = "$(git_ rev-parse 'series^{tree}')" ] ||
	die "git am gives a different tree than the series commits"
# build/linux as a tree object (its files are already in the repository,
# so this only reads them), compared with the series' tree. A throwaway
# index, not split (a split one would leave its shared file behind).
rm -f "$GIT/.git/lu-src-index"
GIT_INDEX_FILE=$GIT/.git/lu-src-index \
	git_ -c core.splitIndex=false -c core.sparseCheckout=false \
		--work-tree="$SRC" add -A -f -- . ':!.pc' ':!patches' ':!.lu-*'
src_tree=$(GIT_INDEX_FILE=$GIT/.git/lu-src-index \
	git_ -c core.splitIndex=false write-tree)
rm -f "$GIT/.git/lu-src-index"
if [ "$src_tree" != "$(git_ rev-parse 'series^{tree}')" ]; then
	git_ diff --stat "$src_tree" 'series^{tree}' > "$BUILD/series-diff.txt"
	head -n 20 "$BUILD/series-diff.txt" >&2
	die "build/series does not reproduce build/linux (see build/series-diff.txt)"
fi
git_ checkout -q series
echo "  SERIES  git am onto the base reproduces build/linux"
