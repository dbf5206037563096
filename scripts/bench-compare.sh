#!/usr/bin/env bash
# Side-by-side comparison on generated images, as docs/benchmarking.md
# asks: the contenders run alternately (A B C D A B C D …), outputs of a
# run are moved aside and deleted after timing, the page cache is warmed by
# an uncounted round, and medians and ratios are printed.
#
#   scripts/bench-compare.sh [-n RUNS] [-j JOBS] [-s SHAPES] [IMAGE_DIR]
#   scripts/bench-compare.sh -L
#
# SHAPES is tidy, realistic or both (the default): the small image (200
# packages × 5 files × 4 KB) from internal/benchgen in that shape. With
# both, the two images' contenders alternate in the same rounds, so the
# two sets of ratios are taken side by side. IMAGE_DIR replaces the
# generated images with one given image.
#
# -L builds the large image (2,000 packages × 10 files × 20 KB, 411 MB)
# once and prints provpack's peak RSS and time; nothing else runs. Put it
# on tmpfs (TMPDIR=/dev/shm) to spare the disk 1.6 GB of writes and
# deletions.
#
# Needs gcab, xmllint and bc (apt-get install gcab libxml2-utils bc);
# -L needs GNU time (apt-get install time).
#
# On an ext4 without a journal, creating a file right after many were
# deleted (a test run, this script's own cleanup) costs far more for a few
# minutes; both builds create about 200 files, which skews the build
# ratio. For numbers that compare the tools rather than the file system,
# leave a few minutes after mass deletions (docs/performance.md).
set -euo pipefail

runs=7
jobs=2
shapes=both
large=
usage() { echo "usage: $0 [-n RUNS] [-j JOBS] [-s tidy|realistic|both] [IMAGE_DIR] | $0 -L" >&2; exit 2; }
while getopts n:j:s:L opt; do
  case $opt in
    n) runs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    s) shapes=$OPTARG ;;
    L) large=1 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
case $shapes in
  tidy|realistic) ;;
  both) shapes="tidy realistic" ;;
  *) usage ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Built as make build does (see the Makefile): static, without urfave/cli's
# documentation generators.
CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$work/provpack" "$root/cmd/provpack"

if [ -n "$large" ]; then
  [ -x /usr/bin/time ] || { echo "GNU time not installed: apt-get install time" >&2; exit 1; }
  go run "$root/internal/benchgen" -pkgs 2000 -files 10 -size 20480 -out "$work/large" >/dev/null
  bytes=$(find "$work/large" -name '*.provxml' -print0 | xargs -0 cat | wc -c)
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  GOMAXPROCS=$jobs /usr/bin/time -f '%M %e %U %S' -o "$work/time" \
    "$work/provpack" build "$work/large/provpack.yaml" -o "$work/large-out" >/dev/null
  read -r rss secs user sys < "$work/time"
  printf 'large image (2000 packages, 20000 files, %d bytes), %d jobs, one build on %s; load average %s before, %s after:\n' \
    "$bytes" "$jobs" "$(df -T "$work" | awk 'NR == 2 {print $2}')" "$load0" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'peak RSS %.1f MB (target < 200 MB), %s s wall, %s s user + %s s system, outputs %s\n' \
    "$(echo "$rss / 1024" | bc -l)" "$secs" "$user" "$sys" "$(du -sh "$work/large-out" | cut -f1)"
  exit 0
fi

for tool in gcab xmllint bc; do
  command -v "$tool" >/dev/null || { echo "$tool not installed: apt-get install ${tool/xmllint/libxml2-utils}" >&2; exit 1; }
done

# Prepare each image: its sources, a reference build whose canonical
# files gcab packs, and a directory already holding its outputs for the
# rebuild contender.
if [ $# -ge 1 ]; then
  images=(given)
  mkdir -p "$work/given"
  ln -s "$(cd "$1" && pwd)" "$work/given/image"
else
  images=($shapes)
fi
declare -A info
for img in "${images[@]}"; do
  d=$work/$img
  mkdir -p "$d"
  [ "$img" = given ] || go run "$root/internal/benchgen" -shape "$img" -out "$d/image" >/dev/null
  find "$d/image/" -name '*.provxml' | LC_ALL=C sort > "$d/sources"
  # gcab packs the same canonical files provpack writes: unpack one build.
  # Warnings (conflicts) are expected; an error-level finding fails here.
  "$work/provpack" build "$d/image/provpack.yaml" -o "$d/ref" >/dev/null 2>"$d/ref.err" ||
    { cat "$d/ref.err" >&2; echo "provpack build of the $img image failed" >&2; exit 1; }
  mkdir -p "$d/canonical"
  for cab in "$d"/ref/*.cab; do
    "$work/provpack" extract "$cab" -o "$d/canonical/$(basename "$cab" .cab)" >/dev/null
  done
  # One gcab per package, run directly by xargs (a shell per package would
  # add its own start-up to gcab's time); -n stores the files' base names,
  # as provpack does.
  for pkg in $(ls "$d/canonical"); do
    printf '%s.cab' "$pkg"
    for f in "$d/canonical/$pkg"/*; do printf ' %s' "$f"; done
    printf '\n'
  done > "$d/gcab-jobs"
  info[$img]=$(printf '%s image: %d packages, %d files, %d bytes; reference build: %s' "$img" \
    "$(ls "$d/canonical" | wc -l)" "$(wc -l < "$d/sources")" "$(xargs cat < "$d/sources" | wc -c)" \
    "$(grep -Eo '^[0-9]+ (errors?|warnings?)(, [0-9]+ warnings?)?$' "$d/ref.err" || echo 'no findings')")
done
# provpack trusts a file's stamp only once it is 2 s old (as git does), so
# the sources are given time to age before the rebuild directories are
# filled.
sleep 2.1
for img in "${images[@]}"; do
  "$work/provpack" build "$work/$img/image/provpack.yaml" -o "$work/$img/rebuild" >/dev/null 2>&1
done

export GOMAXPROCS=$jobs
# Each contender takes the image's directory and an output path. Build
# findings go to /dev/null, as the summary on stdout does.
run_provpack_build() { "$work/provpack" build "$1/image/provpack.yaml" -o "$2" >/dev/null 2>&1; }
run_provpack_rebuild() { "$work/provpack" build "$1/image/provpack.yaml" -o "$1/rebuild" >/dev/null 2>&1; }
run_gcab() {
  mkdir -p "$2"
  (cd "$2" && xargs -P "$jobs" -L 1 gcab -c -n -z < "$1/gcab-jobs")
}
run_provpack_lint() { "$work/provpack" lint $(cat "$1/sources") >/dev/null; }
run_xmllint() { xargs -P "$jobs" -n 64 xmllint --noout < "$1/sources"; }
run_cat() { xargs cat < "$1/sources" >/dev/null; }

names=(provpack_build gcab provpack_lint xmllint cat provpack_rebuild)
now() { date +%s%N; }
# CPU time (user + system) of the shell's finished children, in µs: bash's
# times builtin, which must run in this shell, not in a subshell. Unlike
# the wall time, it hardly grows when other work competes for the cores,
# so the CPU ratios are a check on a loaded machine.
cpu() { awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); n += a[1] * 60 + a[2] } printf "%d\n", n * 1000000 }' "$1"; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A times cputimes
mkdir -p "$work/aside"
for round in $(seq 0 "$runs"); do
  for img in "${images[@]}"; do
    for name in "${names[@]}"; do
      out=$work/out-$img-$name-$round
      t0=$(now)
      times > "$work/cpu0"
      "run_$name" "$work/$img" "$out"
      times > "$work/cpu1"
      t1=$(now)
      [ -e "$out" ] && mv "$out" "$work/aside/"
      if [ "$round" -gt 0 ]; then   # round 0 warms the cache and is not counted
        times[$img:$name]+="$(( (t1 - t0) / 1000 )) "
        cputimes[$img:$name]+="$(( $(cpu "$work/cpu1") - $(cpu "$work/cpu0") )) "
      fi
    done
  done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
# Other work on the machine slows gcab's 200 process starts more than
# provpack, which inflates the build ratio: the load is printed with the
# figures.
printf '%d runs, %d jobs, medians; contenders alternate over %s; %s; load average %s before, %s after\n' \
  "$runs" "$jobs" "${images[*]}" "$(df -T "$work" | awk 'NR == 2 {print $2}')" "$load0" "$(cut -d' ' -f1-3 /proc/loadavg)"
for img in "${images[@]}"; do
  bytes=$(xargs cat < "$work/$img/sources" | wc -c)
  printf '\n%s\n\n' "${info[$img]}"
  declare -A med=() cmed=()
  printf '%-16s %10s   %9s   %10s\n' contender wall 'wall MB/s' 'CPU (u+s)'
  for name in "${names[@]}"; do
    med[$name]=$(echo "${times[$img:$name]}" | median)
    cmed[$name]=$(echo "${cputimes[$img:$name]}" | median)
    printf '%-16s %10.3f s %9.1f   %10.3f s\n' "$name" "$(echo "${med[$name]} / 1000000" | bc -l)" \
      "$(echo "$bytes / ${med[$name]}" | bc -l)" "$(echo "${cmed[$name]} / 1000000" | bc -l)"
  done
  printf '\n%s: provpack build is %sx faster than gcab (target ≥ 5x); uses %sx less CPU\n' "$img" \
    "$(ratio "${med[gcab]}" "${med[provpack_build]}")" "$(ratio "${cmed[gcab]}" "${cmed[provpack_build]}")"
  printf '%s: provpack lint takes %sx the time of xmllint --noout (target ≤ 1x); %sx its CPU\n' "$img" \
    "$(ratio "${med[provpack_lint]}" "${med[xmllint]}")" "$(ratio "${cmed[provpack_lint]}" "${cmed[xmllint]}")"
  printf '%s: provpack lint takes %sx the time of cat (the read floor)\n' "$img" "$(ratio "${med[provpack_lint]}" "${med[cat]}")"
  printf '%s: a rebuild with nothing changed takes %s%% of a cold build (target ≤ 20%%)\n' "$img" "$(echo "scale=1; 100 * ${med[provpack_rebuild]} / ${med[provpack_build]}" | bc -l)"
  unset med cmed
done
