#!/bin/bash
# chaos_rotate.sh: SIGKILL `sesprov rotate` at a random moment, run it again, and check
# the end state against a standalone iamfake (30 ms per call, so the kill lands anywhere
# in the rotation). Needs bash, jq and a build: make build && internal/bench/chaos_rotate.sh [N]
# Checks after each re-run: exit 0, exactly one active key and it is the one delivered
# last (by either run), never more than two keys.
set -u
n=${1:-25}
bin=${BIN:-bin}
work=$(mktemp -d)
trap 'kill $fake 2>/dev/null; rm -rf "$work"' EXIT
"$bin/iamfake" --listen 127.0.0.1:0 --latency 30ms > "$work/fake.out" 2>&1 &
fake=$!
for _ in $(seq 50); do grep -q listening "$work/fake.out" && break; sleep 0.1; done
url=$(head -1 "$work/fake.out" | sed 's/.*listening on //')
export AWS_ACCESS_KEY_ID=AKIACHAOSOPERATOR000 AWS_SECRET_ACCESS_KEY=chaos AWS_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
s() { "$bin/sesprov" --endpoint-url "$url" "$@"; }
# The killed run is certainly dead, so the re-run takes its record over at once
# (--stale-after 0) instead of waiting out the 10-minute lease.
s -o json create-user --user-name chaos --regions us-east-1 > "$work/0.json" 2>/dev/null
last=$(jq -r .access_key_id "$work/0.json")
fails=0 finished=0 lost=0
for i in $(seq "$n"); do
  delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", (r % 700) / 1000 }')
  # The binary itself in the background (not through s): $! must be its PID.
  "$bin/sesprov" --endpoint-url "$url" -o json rotate --user-name chaos --regions us-east-1 > "$work/k$i.json" 2>/dev/null &
  p=$!; sleep "$delay"; kill -9 $p 2>/dev/null; wait $p 2>/dev/null
  s -o json rotate --user-name chaos --regions us-east-1 --stale-after 0 > "$work/r$i.json" 2> "$work/r$i.err"; rc=$?
  grep -q 'finished an interrupted rotation' "$work/r$i.err" && finished=$((finished + 1))
  grep -q 'made by an interrupted rotation' "$work/r$i.err" && lost=$((lost + 1))
  d=$(cat "$work/k$i.json" "$work/r$i.json" | jq -r 'select(.access_key_id) | .access_key_id' 2>/dev/null | tail -1)
  [ -n "$d" ] && last=$d
  listing=$(s -o json list --max-age 0)
  active=$(jq -r '.access_keys[] | select(.status == "Active") | .access_key_id' <<< "$listing")
  nkeys=$(jq -r '.access_keys | length' <<< "$listing")
  if [ "$rc" != 0 ] || [ "$active" != "$last" ] || [ "$nkeys" -gt 2 ]; then
    echo "run $i (killed after ${delay}s): exit $rc, active [$active], delivered last [$last], $nkeys keys"
    cat "$work/r$i.err"
    fails=$((fails + 1))
  fi
done
echo "$n kill-and-rerun rounds: $fails failed; $finished re-runs finished a delivered rotation; $lost deleted a key whose secret was lost"
[ "$fails" = 0 ]
