#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bisectability: build the kernel at every prefix of the exported series.
#
# make series has just committed the series in build/series-git (branch
# "series", one commit per patch). A worktree of that repository,
# build/series-check/src, is checked out at each commit in turn; git only
# rewrites the files a commit changes, so each step is an incremental W=1
# build in build/series-check/obj. The configuration at every step is the
# test kernel's: tinyconfig + the fragments given as arguments, through
# olddefconfig, so a symbol a prefix does not define yet is simply dropped.
# Each step also installs the uapi headers (headers_install checks them)
# and, once the prefix has them, builds the live update selftests against
# those headers, failing on a compiler warning in one of their own files
# or in the agent (tools/liveupdate) they build, not in the kselftest
# headers they include: a commit that adds a test program or splits one
# must leave a prefix whose tests compile.
#
# FROM=<n> starts at patch n (after a fix, when the prefixes before it
# were built already); the build directory is then at whatever prefix the
# last run left it. TO=<n> stops after patch n (to build only the prefixes
# a change of the series made new).
#
# A step fails on a build error or on a W=1 warning in a file of ours. The
# first failure stops the run; its log is build/logs/series-check/<n>.log.
set -euo pipefail
: "${TOP:?}" "${BUILD:?}" "${SRC:?}" "${LOGS:?}" "${JOBS:?}"

GIT=$BUILD/series-git
WT=$BUILD/series-check/src
OBJ=$BUILD/series-check/obj
LOG=$LOGS/series-check

die() { echo "series-check: $*" >&2; exit 1; }

kmake() {
	make -C "$WT" O="$OBJ" ARCH=x86_64 -j"$JOBS" \
		${CCACHE:+CC="ccache gcc"} "$@"
}

# The worktree belongs to the current build/series-git; export-series.sh
# recreates that repository when the base changes.
if ! git -C "$WT" rev-parse --git-dir >/dev/null 2>&1 ||
   [ "$(git -C "$WT" rev-parse --git-common-dir)" != "$GIT/.git" ]; then
	rm -rf "$WT" "$OBJ"
	git -C "$GIT" worktree prune
	mkdir -p "$(dirname "$WT")"
	git -C "$GIT" worktree add -q --detach "$WT" base
fi
# The main work tree of build/series-git is sparse (export-series.sh) and
# git worktree add copies that; this one needs every file.
if [ "$(git -C "$WT" config --worktree --get core.sparseCheckout || true)" = true ]; then
	git -C "$WT" sparse-checkout disable
fi

mapfile -t commits < <(git -C "$GIT" rev-list --reverse base..series)
[ ${#commits[@]} -gt 0 ] || die "no series in build/series-git; run make series"
mkdir -p "$LOG" "$OBJ"
rm -f "$LOG"/*.log

# The files of ours: every sparse file and every file a patch touches.
ours=$LOG/ours.txt
git -C "$GIT" diff --name-only base series > "$ours"

# The selftests of this prefix, if it has them, in build/series-check/obj.
build_selftests() {
	local dir=$WT/tools/testing/selftests/liveupdate

	[ -f "$dir/Makefile" ] || return 0
	mkdir -p "$OBJ/selftests"
	make -C "$dir" OUTPUT="$OBJ/selftests" \
		KHDR_INCLUDES="-isystem $OBJ/usr-headers/include" \
		${CCACHE:+CC="ccache gcc"} 2>&1 | tee "$OBJ/selftests.log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	if grep -E '^[^ ]+:[0-9]+:[0-9]+: warning:' "$OBJ/selftests.log" |
	   grep -v '^\.\./kselftest'; then
		echo "Error 1: warnings in the selftests"
		return 1
	fi
}

start=$SECONDS
n=0
for c in "${commits[@]}"; do
	n=$((n + 1))
	[ "$n" -ge "${FROM:-1}" ] || continue
	[ "$n" -le "${TO:-${#commits[@]}}" ] || break
	subject=$(git -C "$GIT" log -1 --format=%s "$c")
	log=$LOG/$n.log
	t0=$SECONDS
	git -C "$WT" checkout -q --detach "$c"
	{
		kmake tinyconfig &&
		"$WT/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$@" &&
		kmake olddefconfig &&
		kmake W=1 bzImage &&
		kmake headers_install INSTALL_HDR_PATH="$OBJ/usr-headers" &&
		build_selftests
	} > "$log" 2>&1 || {
		printf '  FAIL   %2d/%d %s\n' "$n" ${#commits[@]} "$subject"
		grep -E ': (error|warning):|Error [0-9]' "$log" | head -n 20 ||
			tail -n 20 "$log"
		die "build failed at patch $n; log: build/logs/series-check/$n.log"
	}
	w=$(grep -E ': (warning|error):' "$log" | grep -F -f "$ours" | sort -u || true)
	if [ -n "$w" ]; then
		printf '  FAIL   %2d/%d %s\n' "$n" ${#commits[@]} "$subject"
		echo "$w"
		die "W=1 warnings in our files at patch $n"
	fi
	printf '  OK     %2d/%d %s (%ds)\n' "$n" ${#commits[@]} "$subject" $((SECONDS - t0))
done
git -C "$WT" checkout -q --detach base
echo "  SERIES  every prefix of the ${#commits[@]} patches builds${FROM:+ from patch $FROM on}${TO:+ up to patch $TO} (W=1, $((SECONDS - start))s)"
