#!/usr/bin/env bash
# Batch speed against moto_server, side by side in one run (make bench-interop):
# sesprov create-user --from, the sequential boto3 script (internal/bench/boto3_batch.py)
# and the AWS CLI script (internal/bench/awscli_batch.sh) doing the same steps, each on
# a freshly reset moto, every tool through the same loopback latency proxy
# (internal/bench/latproxy): 30 ms added to every call (a distant endpoint), then none.
#
#   internal/bench/interop.sh [USERS] [CLI_USERS]     (defaults 200 and 10)
#
# Skips (exit 0, saying so) when moto_server is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
users=${1:-200} cli_users=${2:-10}
if ! command -v moto_server >/dev/null; then
  echo "bench-interop: SKIPPED: moto_server is not on PATH (pip install 'moto[server]')"
  exit 0
fi
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/sesprov" ./cmd/sesprov
go build -o "$tmp/latproxy" ./internal/bench/latproxy

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 &
pids+=($!)
moto=http://127.0.0.1:$port
for _ in $(seq 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('$moto/moto-api/')" 2>/dev/null && break
  sleep 0.2
done
reset() { python3 -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('$moto/moto-api/reset', method='POST'))"; }

export AWS_ACCESS_KEY_ID=AKIABENCHOPERATOR000 AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
seq -f "bench-user-%04g" 1 "$users" >"$tmp/users.txt"
seq -f "cli-user-%04g" 1 "$cli_users" >"$tmp/cli-users.txt"
now() { date +%s.%N; }
calc() { python3 -c "print(round($1, 3))"; }

echo "bench-interop: $users users (AWS CLI: $cli_users), moto_server $(python3 -c 'import moto; print(moto.__version__)'), $(nproc) cores"
printf '%-8s %-26s %10s %12s\n' latency tool "total s" "ms/user"
for lat in 30ms 0ms; do
  "$tmp/latproxy" --target "$moto" --latency "$lat" >"$tmp/proxy.out" 2>"$tmp/proxy.err" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$tmp/proxy.out" ] && break; sleep 0.1; done
  proxy=$(sed -n 's/^latproxy listening on //p' "$tmp/proxy.out")

  reset
  t0=$(now)
  "$tmp/sesprov" --endpoint-url "$proxy" -o json create-user --from "$tmp/users.txt" --regions us-east-1,eu-west-1 >"$tmp/go.out" 2>"$tmp/go.err" || { cat "$tmp/go.err"; exit 1; }
  t1=$(now)
  go_s=$(calc "$t1 - $t0")
  made=$(grep -c '"status":"created"' "$tmp/go.out")
  [ "$made" = "$users" ] || { echo "sesprov made $made of $users users"; cat "$tmp/go.err"; exit 1; }
  go_ms=$(calc "1000 * $go_s / $users")
  printf '%-8s %-26s %10s %12s\n' "$lat" "sesprov (concurrency 8)" "$go_s" "$go_ms"

  reset
  t0=$(now)
  py=$(python3 internal/bench/boto3_batch.py --endpoint-url "$proxy" --from "$tmp/users.txt" --regions us-east-1,eu-west-1)
  t1=$(now)
  py_wall=$(calc "$t1 - $t0")
  py_s=$(python3 -c "import json; print(json.loads('$py')['seconds'])")
  py_ms=$(calc "1000 * $py_s / $users")
  py_wall_ms=$(calc "1000 * $py_wall / $users")
  printf '%-8s %-26s %10s %12s\n' "$lat" "boto3 script (calls only)" "$py_s" "$py_ms"
  printf '%-8s %-26s %10s %12s\n' "$lat" "boto3 script (process)" "$py_wall" "$py_wall_ms"

  reset
  cli_s=$(internal/bench/awscli_batch.sh "$proxy" "$tmp/cli-users.txt")
  cli_ms=$(calc "1000 * $cli_s / $cli_users")
  printf '%-8s %-26s %10s %12s\n' "$lat" "AWS CLI script" "$cli_s" "$cli_ms"

  echo "  $lat: sesprov per user = $(calc "$go_ms / $py_ms") x the boto3 script's calls-only time ($(calc "$go_ms / $py_wall_ms") x its process time); AWS CLI per user = $(calc "$cli_ms / $go_ms") x sesprov's"
  kill "${pids[-1]}" 2>/dev/null || true
done
