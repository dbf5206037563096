#!/usr/bin/env bash
# Side-by-side comparison on one generated image, as docs/benchmarking.md
# asks: the contenders run alternately (A B C D A B C D …), outputs of a
# run are moved aside and deleted after timing, the page cache is warmed by
# an uncounted round, and medians and ratios are printed.
#
#   scripts/bench-compare.sh [-n RUNS] [-j JOBS] [IMAGE_DIR]
#
# IMAGE_DIR defaults to a fresh small image (200 packages × 5 files × 4 KB)
# from internal/benchgen. Needs gcab and xmllint (apt-get install gcab
# libxml2-utils).
#
# On an ext4 without a journal, creating a file right after many were
# deleted (a test run, this script's own cleanup) costs far more for a few
# minutes; both builds create about 200 files, which skews the build
# ratio. For numbers that compare the tools rather than the file system,
# leave a few minutes after mass deletions (README: Performance).
set -euo pipefail

runs=7
jobs=2
while getopts n:j: opt; do
  case $opt in
    n) runs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) echo "usage: $0 [-n RUNS] [-j JOBS] [IMAGE_DIR]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

for tool in gcab xmllint; do
  command -v "$tool" >/dev/null || { echo "$tool not installed: apt-get install ${tool/xmllint/libxml2-utils}" >&2; exit 1; }
done

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Built as make build does (see the Makefile): static, without urfave/cli's
# documentation generators.
CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$work/provpack" "$root/cmd/provpack"
if [ $# -ge 1 ]; then
  image=$(cd "$1" && pwd)
else
  image=$work/image
  go run "$root/internal/benchgen" -out "$image" >/dev/null
fi
manifest=$image/provpack.yaml
find "$image" -name '*.provxml' | LC_ALL=C sort > "$work/sources"
nsrc=$(wc -l < "$work/sources")
bytes=$(xargs cat < "$work/sources" | wc -c)

# gcab packs the same canonical files provpack writes: unpack one build.
"$work/provpack" build "$manifest" -o "$work/ref" >/dev/null
mkdir -p "$work/canonical"
for cab in "$work"/ref/*.cab; do
  pkg=$(basename "$cab" .cab)
  "$work/provpack" extract "$cab" -o "$work/canonical/$pkg" >/dev/null
done
npkg=$(ls "$work/canonical" | wc -l)
# The rebuild contender builds into a directory that already holds this
# image's outputs. provpack trusts a file's stamp only once it is 2 s old
# (as git does), so the sources are given time to age first.
sleep 2.1
"$work/provpack" build "$manifest" -o "$work/rebuild" >/dev/null

export GOMAXPROCS=$jobs
run_provpack_build() { "$work/provpack" build "$manifest" -o "$1" >/dev/null; }
run_provpack_rebuild() { "$work/provpack" build "$manifest" -o "$work/rebuild" >/dev/null; }
# One gcab per package, run directly by xargs (a shell per package would
# add its own start-up to gcab's time); -n stores the files' base names,
# as provpack does.
for pkg in $(ls "$work/canonical"); do
  printf '%s.cab' "$pkg"
  for f in "$work/canonical/$pkg"/*; do printf ' %s' "$f"; done
  printf '\n'
done > "$work/gcab-jobs"
run_gcab() {
  mkdir -p "$1"
  (cd "$1" && xargs -P "$jobs" -L 1 gcab -c -n -z < "$work/gcab-jobs")
}
run_provpack_lint() { "$work/provpack" lint $(cat "$work/sources") >/dev/null; }
run_xmllint() { xargs -P "$jobs" -n 64 xmllint --noout < "$work/sources"; }
run_cat() { xargs cat < "$work/sources" >/dev/null; }

names=(provpack_build gcab provpack_lint xmllint cat provpack_rebuild)
now() { date +%s%N; }
declare -A times
mkdir -p "$work/aside"
for round in $(seq 0 "$runs"); do
  for name in "${names[@]}"; do
    out=$work/out-$name-$round
    t0=$(now)
    "run_$name" "$out"
    t1=$(now)
    [ -e "$out" ] && mv "$out" "$work/aside/"
    if [ "$round" -gt 0 ]; then   # round 0 warms the cache and is not counted
      times[$name]+="$(( (t1 - t0) / 1000 )) "
    fi
  done
done
rm -rf "$work/aside"

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A med
printf 'image: %s (%d packages, %d files, %d bytes); %d runs, %d jobs, medians\n\n' "$image" "$npkg" "$nsrc" "$bytes" "$runs" "$jobs"
for name in "${names[@]}"; do
  med[$name]=$(echo "${times[$name]}" | median)
  printf '%-16s %10.3f s   %8.1f MB/s\n' "$name" "$(echo "${med[$name]} / 1000000" | bc -l)" "$(echo "$bytes / ${med[$name]}" | bc -l)"
done
ratio() { echo "scale=2; $1 / $2" | bc -l; }
printf '\nprovpack build is %sx faster than gcab (target ≥ 5x)\n' "$(ratio "${med[gcab]}" "${med[provpack_build]}")"
printf 'provpack lint takes %sx the time of xmllint --noout (target ≤ 1.5x)\n' "$(ratio "${med[provpack_lint]}" "${med[xmllint]}")"
printf 'provpack lint takes %sx the time of cat (the read floor)\n' "$(ratio "${med[provpack_lint]}" "${med[cat]}")"
printf 'a rebuild with nothing changed takes %s%% of a cold build (target ≤ 20%%)\n' "$(echo "scale=1; 100 * ${med[provpack_rebuild]} / ${med[provpack_build]}" | bc -l)"
