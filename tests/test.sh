#!/usr/bin/env bash
# The project's test command: installs what the tests need when it is missing, builds once, runs every
# test project and ends with a totals line "N passed, N failed".
#   tests/test.sh                 all tests
#   tests/test.sh --filter Category=Unit   (any dotnet test arguments pass through)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*" >&2; }

need_apt=()
# Routing heat-maps render their labels with DejaVu Sans; without it ScottPlot silently draws no text.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
# docker-compose validates docker-compose.yml without a Docker engine (none runs on these machines).
command -v docker-compose >/dev/null || need_apt+=(docker-compose)
# Multi-process cluster tests use Redis membership against a private redis-server per test cluster.
command -v redis-server >/dev/null || need_apt+=(redis-server)
# The official OpenAI JavaScript SDK drives one end-to-end test (tests/js, pinned by its package-lock.json).
command -v node >/dev/null && command -v npm >/dev/null || need_apt+=(nodejs npm)
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required" >&2; exit 2; }
if [ ${#need_apt[@]} -gt 0 ]; then
  log "Installing ${need_apt[*]} (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -f tests/js/node_modules/openai/package.json ] || [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
  log "Installing the OpenAI JavaScript SDK (npm ci in tests/js)"
  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
fi

log "Restoring and building (Release, one build node: 2-core machines)"
dotnet build Elastic.sln -c Release -m:1 -nologo -clp:ErrorsOnly

results=$(mktemp -d)
log "Running tests"
set +e
# One test assembly at a time: the multi-process cluster tests need the two cores to themselves.
dotnet test Elastic.sln -c Release --no-build -nologo -m:1 --logger "trx" --results-directory "$results" "$@" 2>&1 | tee "$results/out.log"
status=${PIPESTATUS[0]}
set -e

passed=0; failed=0
while read -r line; do
  p=$(sed -n 's/.*Passed: *\([0-9]*\).*/\1/p' <<<"$line"); f=$(sed -n 's/.*Failed: *\([0-9]*\),.*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done < <(grep -E '^(Passed|Failed)! +- ' "$results/out.log" || true)
rm -rf "$results"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
