#!/usr/bin/env bash
# Serving throughput of the disaggregated 5-process topology (elastic up) against the all-in-one (elastic serve) on
# this machine, with the bytes each output token moves between silos. Not part of the test suite.
#   tests/bench/cluster-vs-all-in-one.sh [MODEL_DIR] [CONCURRENCY] [PROMPTS] [INPUT_LEN] [OUTPUT_LEN]
set -euo pipefail
cd "$(dirname "$0")/../.."
model_dir=$(realpath "${1:-models/elastic-moe-tiny}")
concurrency=${2:-8}
prompts=${3:-32}
input_len=${4:-32}
output_len=${5:-64}
model=$(basename "$model_dir")
elastic=(dotnet src/Elastic.Cli/bin/Release/net10.0/elastic.dll)
out=$(mktemp -d)
port=18480

wait_ready() { for _ in $(seq 1 600); do curl -sf "$1/readyz" >/dev/null && return 0; sleep 0.5; done; echo "not ready: $1" >&2; return 1; }
bench() {
  "${elastic[@]}" bench serve --base-url "http://127.0.0.1:$port" --model "$model" --num-prompts "$prompts" \
    --max-concurrency "$concurrency" --input-len "$input_len" --output-len "$output_len" --prompt-mode Ids --ignore-eos --json "$out/$1.json" 2>/dev/null
}
metric() { curl -s "$1/metrics" | awk -v n="$2" '$1 == n { s += $2 } END { printf "%.0f", s }'; }

echo "== all-in-one: elastic serve ($model, $concurrency streams)"
"${elastic[@]}" serve --model "$model_dir" --port $port --worker-port $((port + 1)) >"$out/serve.log" 2>&1 &
serve_pid=$!
wait_ready "http://127.0.0.1:$port"
bench warmup-serve >/dev/null
bench serve
kill -TERM $serve_pid; wait $serve_pid || true

echo "== disaggregated: elastic up (redis, gateway, prefill, decode, 2 expert workers; 1 thread each)"
"${elastic[@]}" up --model "$model_dir" --port $port >"$out/up.log" 2>&1 &
up_pid=$!
wait_ready "http://127.0.0.1:$port"
sleep 1
decode=$(grep -a "decode-1 *pid" "$out/up.log" | grep -o "http://[0-9.:]*")
bench warmup-up >/dev/null
before_kv=$(metric "$decode" elastic_kv_transfer_bytes_total); before_sent=$(metric "$decode" 'elastic_expert_dispatch_bytes_total{direction="sent"}')
before_recv=$(metric "$decode" 'elastic_expert_dispatch_bytes_total{direction="received"}'); before_gen=$(metric "$decode" elastic_generation_tokens_total)
before_prompt=$(metric "$decode" elastic_kv_transfer_tokens_total); before_calls=$(metric "$decode" elastic_expert_dispatch_calls_total)
bench up
kv=$(( $(metric "$decode" elastic_kv_transfer_bytes_total) - before_kv ))
sent=$(( $(metric "$decode" 'elastic_expert_dispatch_bytes_total{direction="sent"}') - before_sent ))
recv=$(( $(metric "$decode" 'elastic_expert_dispatch_bytes_total{direction="received"}') - before_recv ))
gen=$(( $(metric "$decode" elastic_generation_tokens_total) - before_gen ))
prompt_tokens=$(( $(metric "$decode" elastic_kv_transfer_tokens_total) - before_prompt ))
calls=$(( $(metric "$decode" elastic_expert_dispatch_calls_total) - before_calls ))
kill -TERM $up_pid; wait $up_pid || true

python3 - "$out" "$gen" "$kv" "$prompt_tokens" "$sent" "$recv" "$calls" <<'PY'
import json, sys
out, gen, kv, prompt, sent, recv, calls = sys.argv[1], *map(int, sys.argv[2:])
s, u = (json.load(open(f"{out}/{n}.json")) for n in ("serve", "up"))
s, u = s["results"], u["results"]
for name, r in (("all-in-one", s), ("disaggregated", u)):
    print(f"{name:14} output tok/s {r['outputTokenThroughput']:8.1f}  TTFT p50 {r['ttftMs']['median']:7.1f} ms  TPOT p50 {r['tpotMs']['median']:6.1f} ms  "
          f"E2E p50 {r['e2eMs']['median']:7.1f} ms  failed {r['failed']}")
ratio = u['outputTokenThroughput'] / s['outputTokenThroughput']
print(f"disaggregated / all-in-one throughput: {ratio:.2f}")
print(f"expert dispatch: {sent/max(gen,1)/1e3:.1f} kB sent + {recv/max(gen,1)/1e3:.1f} kB received per generated token ({calls} calls, {calls/max(gen,1):.1f} per token incl. prefill)")
print(f"KV transfer: {kv} bytes for {prompt} prompt tokens = {kv/max(prompt,1):.0f} B per prompt token")
PY
echo "logs and JSON: $out"
