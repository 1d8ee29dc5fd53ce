#!/usr/bin/env bash
# Runs every benchmark of perf/RESULTS.md in a short mode and every perf graph briefly, then puts
# the new tables into perf/RESULTS.md with the date and the machine.
#
#   perf/run-all.sh            # BenchmarkDotNet short job, 10 s per graph (about 40 minutes on 2 cores)
#   perf/run-all.sh --quick    # BenchmarkDotNet dry job, 3 s per graph: checks that everything runs
#
# A table is regenerated where RESULTS.md marks it:
#   <!-- bench:ClassName -->  ...table...  <!-- /bench -->   BenchmarkDotNet class ClassName
#   <!-- graphs -->           ...table...  <!-- /graphs -->  every perf/graphs/*.json
# and the line starting "Machine for all results" is rewritten. The prose around the tables is
# not: read the new numbers before committing them.
set -euo pipefail
cd "$(dirname "$0")/.."

job=short
graph_duration=10s
graph_warmup=5s
if [ "${1:-}" = "--quick" ]; then
  job=dry
  graph_duration=3s
  graph_warmup=1s
fi

results_md=perf/RESULTS.md
artifacts=BenchmarkDotNet.Artifacts/results
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Replaces the lines between an opening marker and its closing marker with the contents of a file.
splice() {
  local open="$1" close="$2" file="$3"
  awk -v opening="$open" -v closing="$close" -v file="$file" '
    $0 == opening { print; while ((getline line < file) > 0) print line; skipping = 1; next }
    skipping && $0 == closing { skipping = 0 }
    !skipping { print }
  ' "$results_md" > "$work/results.md"
  mv "$work/results.md" "$results_md"
}

dotnet build -c Release perf/OtlpFlow.Benchmarks >/dev/null
dotnet build -c Release hosts/OtlpFlow.Cli >/dev/null

# 1. BenchmarkDotNet: one run per marked class; the table is the github-flavoured report's table.
for class in $(grep -o '^<!-- bench:[A-Za-z0-9]* -->$' "$results_md" | sed -E 's/<!-- bench:([A-Za-z0-9]*) -->/\1/' | sort -u); do
  echo "== $class"
  dotnet run -c Release --no-build --project perf/OtlpFlow.Benchmarks -- --filter "*.${class}.*" --job "$job"
  report=$(ls -t "$artifacts"/*."$class"-report-github.md 2>/dev/null | head -1 || true)
  if [ -z "$report" ]; then
    echo "warning: no report for $class" >&2
    continue
  fi
  grep '^|' "$report" > "$work/table.md"
  splice "<!-- bench:$class -->" "<!-- /bench -->" "$work/table.md"
done

# 2. Perf graphs: one row per graph from the --json result.
cli=hosts/OtlpFlow.Cli/bin/Release/net10.0/otlpflow.dll
{
  echo "| graph | items/s | p50 ms | p99 ms | p99.9 ms | dropped | peak MiB | exit |"
  echo "|-------|--------:|-------:|-------:|---------:|--------:|---------:|-----:|"
} > "$work/graphs.md"
number() { grep -o "\"$1\": *[0-9.eE+-]*" "$2" | head -1 | sed -E 's/.*: *//'; }
for graph in perf/graphs/*.json; do
  name=$(basename "$graph" .json)
  echo "== graph $name"
  status=0
  dotnet "$cli" perf "$graph" --duration "$graph_duration" --warmup "$graph_warmup" --json "$work/$name.json" || status=$?
  if [ ! -f "$work/$name.json" ]; then
    echo "| \`$name\` | - | - | - | - | - | - | $status |" >> "$work/graphs.md"
    continue
  fi
  j="$work/$name.json"
  printf '| `%s` | %.0f | %.1f | %.1f | %.1f | %s | %.0f | %s |\n' "$name" \
    "$(number itemsPerSecond "$j")" "$(number p50 "$j")" "$(number p99 "$j")" "$(number p999 "$j")" \
    "$(number dropped "$j")" "$(awk "BEGIN { print $(number peakMemoryBytes "$j") / 1048576 }")" "$status" >> "$work/graphs.md"
done
splice "<!-- graphs -->" "<!-- /graphs -->" "$work/graphs.md"

# 3. Date and machine.
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || uname -m)
machine="Machine for all results below: ${cpu}, $(nproc) cores, $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || uname -s), .NET $(dotnet --version) SDK. Date: $(date -u +%Y-%m-%d) (perf/run-all.sh, job ${job})."
awk -v line="$machine" '/^Machine for all results/ { print line; skip = 1; next } skip && /^BenchmarkDotNet/ { next } { skip = 0; print }' "$results_md" > "$work/results.md"
mv "$work/results.md" "$results_md"
echo "perf/RESULTS.md updated"
