#!/bin/sh
# Sanity run of the load generator against the real server (meson test "load-sanity"):
# starts hoinghi on a free 127.0.0.1 port, runs hn-load with 2 publishers and 2 subscribers for
# about 6 s, and checks its RESULT line: every subscriber received every publisher's audio and
# video, loss under 5%, forwarding delay figures present. Exit 0 when all hold, 1 otherwise.
#   HOINGHI_BIN  server binary   (default: build/server/hoinghi)
#   HN_LOAD_BIN  load generator  (default: build/tests/load/hn-load)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
hoinghi=${HOINGHI_BIN:-$root/build/server/hoinghi}
hnload=${HN_LOAD_BIN:-$root/build/tests/load/hn-load}
for b in "$hoinghi" "$hnload"; do
  [ -x "$b" ] || { echo "sanity: $b is missing (build first)"; exit 1; }
done

tmp=$(mktemp -d /tmp/hn-load-sanity.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$tmp/hoinghi.conf" <<EOF
[server]
listen = 127.0.0.1:$port
data_dir = $tmp/var
log_level = warning
[media]
addresses = 127.0.0.1
[rooms]
auto_create = true
max_participants = 100
EOF

"$hoinghi" --config "$tmp/hoinghi.conf" > "$tmp/server.log" 2>&1 &
server_pid=$!
up=0
for _ in $(seq 1 100); do
  if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
    up=1; break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$up" != 1 ]; then
  echo "sanity: the server did not start"; cat "$tmp/server.log"; exit 1
fi

"$hnload" --target hoinghi --url "ws://127.0.0.1:$port/ws" --room sanity \
  --publishers 2 --subscribers 2 --duration 6 --local-ip 127.0.0.1 --threads 2 \
  --server-pid "$server_pid" --json "$tmp/result.json" > "$tmp/load.out" 2> "$tmp/load.err"
rc=$?
cat "$tmp/load.out"
if [ "$rc" != 0 ]; then
  echo "sanity: hn-load exited with status $rc"
  tail -20 "$tmp/load.err"; tail -20 "$tmp/server.log"
  exit 1
fi

python3 - "$tmp/result.json" <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
if len(lines) != 1:
    sys.exit(f"sanity: expected 1 RESULT line, got {len(lines)}")
r = json.loads(lines[0])
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
need(r.get("ok") is True, f"hn-load reported problems: {r.get('problems')}")
need(r.get("publishers_ready") == 2, "not every publisher was sending")
need(r.get("subscribers") == 2 and r.get("subscribers_silent") == 0, "a subscriber was silent")
need(r.get("streams_expected") == 8 and r.get("streams_receiving") == 8,
     f"streams received {r.get('streams_receiving')} of {r.get('streams_expected')}")
need(r.get("loss_pct", 100) < 5, f"loss {r.get('loss_pct')}%")
d = r.get("delay_us") or {}
need(d.get("count", 0) > 0 and d.get("p50", 0) > 0 and d.get("p99", 0) >= d.get("p50", 0),
     f"delay figures missing: {d}")
for s in r.get("subscriber_detail") or []:
    got = {(x["pub"], x["kind"]) for x in s["streams"] if x["packets"] > 0}
    want = {(p, k) for p in (0, 1) for k in ("audio", "video")}
    need(got >= want, f"{s['name']} lacks {sorted(want - got)}")
need(len(r.get("subscriber_detail") or []) == 2, "subscriber detail missing")
if bad:
    print("sanity: FAILED:\n  " + "\n  ".join(bad))
    sys.exit(1)
print(f"sanity: ok: loss {r['loss_pct']:.3f}%, delay p50 {d['p50']} us p99 {d['p99']} us, "
      f"join p50 {r['join_ms']['p50']} ms")
EOF
