#!/usr/bin/env bash
# Two builds of the server against each other, alternating servers round by round so the VM's drift hits both alike:
# per round and build, one fresh `elastic serve` warmed with 384 requests at 32 streams, then one stream, 32 streams and
# one stream again, each with the server's CPU per output token (from /proc around the run). Not part of the test suite.
#   tests/bench/serve-ab.sh ROUNDS BIN_A BIN_B [-- extra `elastic serve` flags]
# BIN_* are folders holding elastic.dll, e.g. a copy of src/Elastic.Cli/bin/Release/net10.0 taken before a change.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1; a=$2; b=$3
shift 3
[[ "${1:-}" == "--" ]] && shift
out=$(mktemp -d)
port=18680
url="http://127.0.0.1:$port"
client=(dotnet "$b/elastic.dll")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # LABEL PROMPTS CONCURRENCY
  local before after
  before=$(cpu_ticks "$server")
  "${client[@]}" bench serve --base-url "$url" --num-prompts "$2" --max-concurrency "$3" --input-len 32 --output-len 128 \
    --prompt-mode Ids --ignore-eos --json "$out/run.json" >"$out/run.txt" 2>&1 || { tail -5 "$out/run.txt" >&2; return 1; }
  after=$(cpu_ticks "$server")
  python3 - "$out/run.json" "$1" "$3" "$(( (after - before) * 10000 ))" "$(( $2 * 128 ))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
label, streams, cpu_us, tokens = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
print(f"{label:<12} {streams:>2} streams  {r['outputTokenThroughput']:7.0f} tok/s  server {cpu_us / tokens:5.0f} µs/token"
      f"  TTFT p50 {r['ttftMs']['median']:6.1f} ms  TPOT p50 {r['tpotMs']['median']:.3f} ms  ITL p99 {r['itlMs']['p99']:.2f} ms")
PY
}

for round in $(seq 1 "$rounds"); do
  for bin in "$a" "$b"; do
    dotnet "$bin/elastic.dll" serve --port $port --worker-port $((port + 1)) --kv-cache-mb 512 "$@" >"$out/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 600); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.5; done
    "${client[@]}" bench serve --base-url "$url" --num-prompts 384 --max-concurrency 32 --input-len 32 --output-len 128 --prompt-mode Ids --ignore-eos >/dev/null 2>&1
    "${client[@]}" bench serve --base-url "$url" --num-prompts 10 --max-concurrency 1 --input-len 32 --output-len 128 --prompt-mode Ids --ignore-eos >/dev/null 2>&1
    label="$(basename "$bin")"
    run "$label" 16 1; run "$label" 128 32; run "$label" 16 1
    kill -TERM "$server"; wait "$server" || true
  done
done
