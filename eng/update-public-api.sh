#!/usr/bin/env bash
# Updates the public API files (PublicAPI.Shipped.txt, PublicAPI.Unshipped.txt) of every project that has
# them, from what the public API analyzer reports when the projects build:
#   RS0016 (public symbol not declared)      -> the symbol is added to PublicAPI.Unshipped.txt;
#   RS0017 (declared symbol no longer public) -> dropped from PublicAPI.Unshipped.txt, or, when it was
#                                               shipped, recorded there as "*REMOVED*<symbol>";
#   RS0050 (removed symbol is public again)    -> its "*REMOVED*" line is dropped.
# With --baseline both files are rewritten: the whole current surface goes to PublicAPI.Shipped.txt and
# PublicAPI.Unshipped.txt is left empty (a new baseline, e.g. at a release).
# Review the diff of the files afterwards: it is the change of the public surface.
#
# Usage: eng/update-public-api.sh [--baseline] [project.csproj ...]   (default: all tracked projects)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_UI_LANGUAGE=en DOTNET_NOLOGO=1

baseline=false
if [ "${1:-}" = "--baseline" ]; then baseline=true; shift; fi
if [ $# -gt 0 ]; then
  projects=("$@")
else
  mapfile -t projects < <(find engine operators hosts -name PublicAPI.Shipped.txt -printf '%h\n' | sort \
    | while read -r dir; do ls "$dir"/*.csproj; done)
fi

header='#nullable enable'
if $baseline; then
  for project in "${projects[@]}"; do
    dir=$(dirname "$project")
    echo "$header" > "$dir/PublicAPI.Shipped.txt"
    echo "$header" > "$dir/PublicAPI.Unshipped.txt"
  done
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Warnings must not stop the build. A first pass builds the references; the second compiles each project
# again, alone, so that it reports all of its warnings.
for project in "${projects[@]}"; do
  dotnet build "$project" -p:TreatWarningsAsErrors=false -clp:NoSummary > /dev/null 2>&1 || true
done
for project in "${projects[@]}"; do
  dotnet build "$project" --no-incremental -p:BuildProjectReferences=false -p:TreatWarningsAsErrors=false \
    -clp:NoSummary >> "$log" 2>&1 || true
done
if grep -qE ": error [A-Z]+[0-9]+" "$log"; then
  echo "the build failed; no file was updated:" >&2
  grep -E ": error [A-Z]+[0-9]+" "$log" | sort -u | head -20 >&2
  exit 1
fi

for project in "${projects[@]}"; do
  dir=$(dirname "$project")
  full=$(cd "$dir" && pwd)/$(basename "$project")
  added=$(grep -F "[$full]" "$log" \
    | sed -n "s/.*warning RS0016: Symbol '\(.*\)' is not part of the declared public API.*/\1/p" | sort -u)
  removed=$(grep -F "[$full]" "$log" \
    | sed -n "s/.*warning RS0017: Symbol '\(.*\)' is part of the declared API, but is either not public or could not be found.*/\1/p" | sort -u)
  # RS0050: a symbol recorded as removed is public again.
  restored=$(grep -F "[$full]" "$log" \
    | sed -n "s/.*warning RS0050: Symbol '\(.*\)' is marked as removed but it isn't deleted in source code.*/*REMOVED*\1/p" | sort -u)
  if $baseline; then file="$dir/PublicAPI.Shipped.txt"; else file="$dir/PublicAPI.Unshipped.txt"; fi
  {
    grep -v -x -F "$header" "$file" | grep -v -x -F -f <(printf '%s\n' "$removed" "$restored") || true
    printf '%s\n' "$added"
    if [ -n "$removed" ]; then
      grep -x -F -f <(printf '%s\n' "$removed") "$dir/PublicAPI.Shipped.txt" | sed 's/^/*REMOVED*/' || true
    fi
  } | sed '/^$/d' | LC_ALL=C sort -u > "$file.new"
  { echo "$header"; cat "$file.new"; } > "$file"
  rm "$file.new"
  echo "$dir: $(printf '%s' "$added" | grep -c . || true) added, $(printf '%s' "$removed" | grep -c . || true) removed"
done
