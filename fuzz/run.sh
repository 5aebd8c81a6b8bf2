#!/usr/bin/env bash
# Builds the fuzz targets and runs each one for a fixed time, one after the
# other (one process, one job: the machine is shared). Exits non-zero as
# soon as a target crashes; the crashing input is left in
# fuzz/artifacts/<target>/. Usage: fuzz/run.sh [seconds per target] [target...]
# New corpus entries go to $FUZZ_WORK/<target> (a temporary directory unless
# set), so the seed corpora in fuzz/corpus stay as committed.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-10}
shift || true
work=${FUZZ_WORK:-$(mktemp -d)}
# cargo-fuzz passes nightly-only flags (sanitizer coverage): allowed on the
# stable toolchain for this build only.
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
flags=(-s none -a)
cargo fuzz build "${flags[@]}"
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  echo "== $t (${secs}s)"
  log="$work/$t.log"
  if ! cargo fuzz run "${flags[@]}" "$t" "$work/$t" "corpus/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz target $t failed (input in fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE|number_of_executed_units' "$log" || tail -n 3 "$log"
done
