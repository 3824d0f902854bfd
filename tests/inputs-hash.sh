#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print one sha256 over the contents of the inputs the reliability figures depend on: pin/ xdp/ loader/ reader/ tests/.
#
# Usage: tests/inputs-hash.sh [--dirty]
#   Without an option: the hash (64 hex digits) of every file git tracks or would track
#   (untracked, not ignored) under those folders, as they are in the working tree: the
#   same tree gives the same hash in any clone. --dirty: print "dirty" when those folders
#   differ from HEAD (uncommitted changes), else nothing.
# tests/run-all.sh stamps each suite's log with it (build/test-logs/NAME.inputs),
# tests/reliability.sh writes it into docs/RELIABILITY.md, and tests/test-docs.sh checks
# that the two agree with the tree.
set -euo pipefail

cd "$(dirname "$0")/.."
INPUTS=(pin xdp loader reader tests)

if [ "${1:-}" = --dirty ]; then
	[ -z "$(git status --porcelain -- "${INPUTS[@]}" 2>/dev/null)" ] || echo dirty
	exit 0
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard -- "${INPUTS[@]}"
else
	find "${INPUTS[@]}" -type f -print0
fi | LC_ALL=C sort -zu | while IFS= read -r -d '' f; do
	# A file deleted but not yet committed is listed by git and no longer there.
	[ -f "$f" ] && printf '%s\0' "$f"
done | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1
