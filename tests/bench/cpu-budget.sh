#!/usr/bin/env bash
# Where the CPU of a served token goes, and what that allows on this machine. One `elastic serve` (default flags plus
# any given), warmed up; then per round one stream and 32 streams, each with the CPU the server spent during the run
# (from /proc: the engine's own threads, `elastic-engine` and `elastic-compute-N`, and everything else in the process:
# Kestrel, YARP, SSE writes, Orleans, the GC) and the load generator's own (its report's clientCpuCores), all in core-µs
# per output token. Before the rounds, `elastic bench engine --batch 1 32` on the served model while the server idles
# gives the engine's batch-1 rate and its batch-32 ceiling (every active parameter's 2 FLOP at the machine's FMA
# peak). The last lines give the bounds that follow: N cores carry at most N / (server's rest + client + engine at its
# ceiling, µs per token) tokens/s at 32 streams, and one stream meeting the other target (≥ 90 % of the engine's
# batch 1) then caps the 32-stream ratio.
# Not part of the test suite.
#   tests/bench/cpu-budget.sh [ROUNDS] [-- extra `elastic serve` flags, e.g. --threads 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
shift || true
[[ "${1:-}" == "--" ]] && shift
elastic=(dotnet "${ELASTIC_DLL:-src/Elastic.Cli/bin/Release/net10.0/elastic.dll}")
out=$(mktemp -d)
port=18980
url="http://127.0.0.1:$port"
output_len=128

"${elastic[@]}" serve --port $port --worker-port $((port + 1)) --kv-cache-mb 512 "$@" >"$out/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.5; done
curl -sf "$url/readyz" >/dev/null || { echo "not ready: $url" >&2; exit 1; }

bench() { # PROMPTS CONCURRENCY WARMUPS JSON
  "${elastic[@]}" bench serve --base-url "$url" --num-prompts "$1" --max-concurrency "$2" --num-warmups "$3" \
    --input-len 32 --output-len $output_len --prompt-mode Ids --ignore-eos ${4:+--json "$4"} >"$out/bench.txt" 2>&1 \
    || { tail -5 "$out/bench.txt" >&2; return 1; }
}
# Clock ticks of the whole process and of its engine threads (names are cut to 15 characters by the kernel).
ticks() {
  local engine=0 t
  for t in /proc/$server/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in elastic-engine|elastic-compute*) engine=$((engine + $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0))) ;; esac
  done
  echo "$(awk '{print $14 + $15}' "/proc/$server/stat") $engine"
}

echo "elastic serve $* ready; the engine alone first, then warming up" >&2
model=models/elastic-moe-tiny
args=("$@")
for i in "${!args[@]}"; do [[ "${args[$i]}" == "--model" ]] && model=${args[$((i + 1))]}; done
"${elastic[@]}" bench engine --models "$model" --batch 1 32 --prompt-tokens 32 --decode-tokens $output_len --repeats 3 \
  --json "$out/engine.json" >"$out/engine.txt" 2>&1 || { tail -5 "$out/engine.txt" >&2; exit 1; }
bench 384 32 0 ""
bench 10 1 0 ""
for r in $(seq 1 "$rounds"); do
  for streams in 1 32; do
    prompts=$([[ $streams == 1 ]] && echo 40 || echo 320)
    warmups=$([[ $streams == 1 ]] && echo 8 || echo 192)
    read -r p0 e0 <<<"$(ticks)"
    bench "$prompts" "$streams" "$warmups" "$out/r$r-$streams.json"
    read -r p1 e1 <<<"$(ticks)"
    # The server served the client's warm-up requests inside the window too: every request is output_len tokens.
    echo "$r $streams $(( (p1 - p0) * 10000 )) $(( (e1 - e0) * 10000 )) $(( (prompts + warmups) * output_len ))" >>"$out/cpu.txt"
  done
  echo "round $r/$rounds done" >&2
done

python3 - "$out" "$(nproc)" <<'PY'
import json, statistics, sys
out, cores = sys.argv[1], int(sys.argv[2])
rows = {}
for line in open(f"{out}/cpu.txt"):
    r, streams, process_us, engine_us, tokens = line.split()
    res = json.load(open(f"{out}/r{r}-{streams}.json"))["results"]
    tps = res["outputTokenThroughput"]
    row = dict(tps=tps, process=int(process_us) / int(tokens), engine=int(engine_us) / int(tokens),
               client=(res.get("clientCpuCores") or 0) * 1e6 / tps)
    row["http"] = row["process"] - row["engine"]
    rows.setdefault(int(streams), []).append(row)
    print(f"round {r}, {streams:>2} streams: {tps:7.0f} tok/s | core-µs per token: server {row['process']:5.0f} "
          f"(engine threads {row['engine']:5.0f}, the rest {row['http']:4.0f}), client {row['client']:4.0f}")
med = lambda s, k: statistics.median(x[k] for x in rows[s])
one, many = med(1, "tps"), med(32, "tps")
free_engine = cores * 1e6 / (med(32, "http") + med(32, "client"))
print(f"median at 32 streams: engine threads {med(32, 'engine'):.0f}, rest of the server {med(32, 'http'):.0f}, client {med(32, 'client'):.0f} core-µs per token; "
      f"{many:.0f} tok/s against {one:.0f} at one stream (ratio {many / one:.2f})")
engine = json.load(open(f"{out}/engine.json"))["results"][0]
b1, ceiling = engine["DecodeTokensPerSecond"]["1"], engine["CeilingTokensPerSecond"]["32"]
at_ceiling = cores * 1e6 / ceiling
best = cores * 1e6 / (med(32, "http") + med(32, "client") + at_ceiling)
print(f"engine alone: batch 1 {b1:.0f} tok/s, batch 32 {engine['DecodeTokensPerSecond']['32']:.0f} tok/s, batch-32 ceiling {ceiling:.0f} tok/s ({at_ceiling:.0f} core-µs per token)")
no_client = cores * 1e6 / (med(32, "http") + at_ceiling)
floor = 0.9 * b1
print(f"bound: {cores} cores carry at most {cores} / ({med(32, 'http'):.0f} + {med(32, 'client'):.0f} + {at_ceiling:.0f} µs) = {best:.0f} tok/s at 32 streams with the engine at its ceiling "
      f"({no_client:.0f} with the client elsewhere, {free_engine:.0f} with an engine that cost nothing); one stream at 90 % of the engine's batch 1 ({floor:.0f} tok/s) caps the ratio at "
      f"{best / floor:.1f}x ({no_client / floor:.1f}x with the client elsewhere, {free_engine / floor:.1f}x with a free engine); against this run's one stream, {best / one:.1f}x")
PY
