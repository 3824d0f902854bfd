#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Plot the cost curve that curve.c wrote (DATA) into an SVG with gnuplot: ns per packet above
# bare for each design named, by profile.  Usage: plot-curve.sh DATA OUT.svg DESIGN...
set -euo pipefail
data=$1 out=$2
shift 2
command -v gnuplot >/dev/null || { echo "plot-curve: needs gnuplot (apt-get install gnuplot-nox, or make deps)" >&2; exit 1; }
header=$(head -1 "$data")
plots=()
for name in "$@"; do
	col=$(awk -v want="$name" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) print i - 1 }' <<<"$header")
	[ -n "$col" ] || { echo "plot-curve: no design '$name' in $data" >&2; exit 1; }
	plots+=("'$data' using 0:$col:xtic(1) with linespoints lw 2 pt 7 title '$name'")
done
gnuplot <<GP
set terminal svg size 860,460 dynamic font "sans,13" background "white"
set output "$out"
set title "XDP program cost above a bare XDP\\\\_PASS, by traffic profile (flows round robin, Zipf, trace)"
set xlabel "profile (flows round robin on one CPU; Zipf over 100,000 flows; synthetic trace)"
set ylabel "ns per packet above bare"
set grid ytics
set key top left
set yrange [0:*]
set datafile commentschars "#"
$(IFS=,; echo "plot ${plots[*]}")
GP
