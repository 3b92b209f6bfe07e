#!/usr/bin/env bash
# Side-by-side, whole-process comparison of golive with wrk and oha (docs/benchmarks.md).
#
# One nginx target on loopback pinned to one core, each generator pinned to the other,
# one generator thread each, the same settings for every tool, rounds interleaved so
# that machine noise falls on every tool alike. Prints medians of req/s, p50, p99,
# generator CPU µs per request (user+sys from /usr/bin/time) and peak RSS, and
# golive's ratio to each peer. Loopback only; every run is bounded by DURATION.
#
# The mix50 scenario is golive alone: a 3-request --workload with two placeholders per
# request at CONNS connections, against c50's single URL (their CPU per request's ratio
# is the cost of a mix).
#
# HTTP/2 scenarios (h2m10, h2m100: one connection with 10 or 100 streams, nginx's
# cleartext h2 listener; h2tls-m10, h2tls-m100: the same over TLS, ALPN h2) compare
# golive --streams with h2load -m (nghttp2-client); the paced scenario (rate) also runs
# h2load --h1 --rps.
#
# TLS scenarios against nginx with a self-signed ECDSA P-256 certificate made here:
# tls-c50 (keep-alive, CONNS connections) and tls-churn (Connection: close over 10
# connections: a handshake per request), golive vs wrk vs oha. nginx logs whether each
# request's session was resumed ($ssl_session_reused), so every tool's resumption is
# counted the same way.
#
# PEERS may add golive-hyper: golive with hyper's client (--h1-client hyper, or
# --h2-client hyper for HTTP/2), to measure golive's own clients against it.
#
#   scripts/bench-peers.sh                 # 3 rounds x 5 s x every scenario
#   ROUNDS=5 DURATION=10 RATE=8000 scripts/bench-peers.sh
#   SCENARIOS="h2m10 h2m100" scripts/bench-peers.sh
#   GOLIVE_BASE=/path/to/older/golive PEERS="golive-base" SCENARIOS="c50" scripts/bench-peers.sh
#       # a regression check: another golive build as one more peer, same rounds
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}       # seconds per run
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-5000}            # the constant-rate scenario, requests per second
CONNS=${CONNS:-50}            # connections for the busy scenarios
TARGET_CPU=${TARGET_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
OUT=${OUT:-bench-out}
SCENARIOS=${SCENARIOS:-c1 c50 mix50 rate h2m10 h2m100 tls-c50 tls-churn h2tls-m10 h2tls-m100}
PEERS=${PEERS:-wrk oha h2load}
GOLIVE_BASE=${GOLIVE_BASE:-}
h1=""; h2=""
for s in $SCENARIOS; do case $s in h2*) h2=1 ;; *) h1=1 ;; esac; done

have() { command -v "$1" >/dev/null 2>&1; }
apt_updated=""
apt_install() {
  have apt-get || { echo "bench-peers: cannot install $*: no apt-get" >&2; exit 2; }
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
have nginx || apt_install nginx-light || apt_install nginx
case " $PEERS " in *" wrk "*) [ -z "$h1" ] || have wrk || apt_install wrk ;; esac
case " $PEERS " in *" h2load "*) have h2load || apt_install nghttp2-client ;; esac
[ -x /usr/bin/time ] || apt_install time
have taskset || apt_install util-linux
case " $PEERS " in *" oha "*) [ -z "$h1" ] || have oha || cargo install oha --locked ;; esac
have python3 || apt_install python3
have openssl || apt_install openssl

cargo build --release --locked -q
GOLIVE=$PWD/target/release/golive

rm -rf "$OUT/runs" && mkdir -p "$OUT/nginx/tmp" "$OUT/nginx/logs" "$OUT/runs"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
H2PORT=$(free_port)
TLSPORT=$(free_port)
H2TLSPORT=$(free_port)
NGINX_DIR=$(cd "$OUT/nginx" && pwd)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$NGINX_DIR/key.pem" -out "$NGINX_DIR/cert.pem" 2>/dev/null
TLSLOG=$NGINX_DIR/logs/tls.log
: > "$TLSLOG"
cat > "$NGINX_DIR/nginx.conf" <<EOF
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  # nginx closes a connection after 1,000 requests by default: the generators would
  # measure reconnects, not requests.
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $NGINX_DIR/tmp; proxy_temp_path $NGINX_DIR/tmp;
  fastcgi_temp_path $NGINX_DIR/tmp; uwsgi_temp_path $NGINX_DIR/tmp; scgi_temp_path $NGINX_DIR/tmp;
  server {
    listen 127.0.0.1:$PORT;
    location = /health { default_type application/json; return 200 '{"status":"ok"}'; }
    # The mix50 workload's three requests.
    location /items { default_type application/json; return 200 '{"items":[]}'; }
    location /orders { default_type application/json; return 200 '{"status":"created"}'; }
  }
  # Cleartext HTTP/2 with prior knowledge, for the stream scenarios.
  server {
    listen 127.0.0.1:$H2PORT http2;
    http2_max_concurrent_streams 1000;
    location = /health { default_type application/json; return 200 '{"status":"ok"}'; }
  }
  # TLS (HTTP/1.1, and h2 by ALPN), sessions resumable by ticket or cache; each
  # request logs whether its session was resumed.
  ssl_certificate $NGINX_DIR/cert.pem;
  ssl_certificate_key $NGINX_DIR/key.pem;
  ssl_session_cache shared:SSL:10m;
  log_format reused '\$ssl_session_reused';
  server {
    listen 127.0.0.1:$TLSPORT ssl;
    access_log $TLSLOG reused;
    location = /health { default_type application/json; return 200 '{"status":"ok"}'; }
  }
  server {
    listen 127.0.0.1:$H2TLSPORT ssl http2;
    http2_max_concurrent_streams 1000;
    location = /health { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
EOF
taskset -c "$TARGET_CPU" nginx -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR/"
trap 'kill "$(cat "$NGINX_DIR/nginx.pid")" 2>/dev/null || true' EXIT
URL=http://127.0.0.1:$PORT/health
H2URL=http://127.0.0.1:$H2PORT/health
TLSURL=https://127.0.0.1:$TLSPORT/health
H2TLSURL=https://127.0.0.1:$H2TLSPORT/health
python3 - "$URL" <<'EOF'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1).read(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("nginx did not come up")
EOF

MIX=$(cd "$OUT" && pwd)/mix.toml
printf 'sku\nSKU-1\nSKU-2\nSKU-3\nSKU-4\n' > "$OUT/skus.csv"
cat > "$MIX" <<'EOF'
[[request]]
name = "list"
path = "/items?page=${rand_int(1,50)}&q=${rand_regex('[a-z]{6}')}"
weight = 6
[[request]]
name = "item"
path = "/items/${rand_int(1,1000)}?trace=${uuid}"
weight = 3
[[request]]
name = "order"
method = "POST"
path = "/orders/${seq}"
body = '{"sku": "${sku}", "qty": 1}'
weight = 1
[feeder.skus]
file = "skus.csv"
mode = "circular"
EOF

golive_bin() { if [ "$1" = golive-base ]; then echo "$GOLIVE_BASE"; else echo "$GOLIVE"; fi; }
# golive-hyper: golive with hyper's client for the protocol at hand.
hyper_flag() { [ "$1" = golive-hyper ] && echo "$2" || true; }
case " $PEERS " in *" golive-base "*) [ -x "$GOLIVE_BASE" ] || { echo "bench-peers: GOLIVE_BASE must name a golive binary" >&2; exit 2; } ;; esac

run() { # tool scenario round
  local tool=$1 scenario=$2 round=$3 conns=$CONNS rate="" streams="" mix="" url=$URL h2url=$H2URL
  local tls="" churn="" insecure=()
  local base=$OUT/runs/$scenario.$tool.$round
  case $scenario in
    c1) conns=1 ;;
    rate) rate=$RATE ;;
    mix50) mix=1 ;;
    h2m*) conns=1; streams=${scenario#h2m} ;;
    h2tls-m*) conns=1; streams=${scenario#h2tls-m}; h2url=$H2TLSURL; insecure=(--insecure) ;;
    tls-c50) tls=1; url=$TLSURL; insecure=(--insecure) ;;
    tls-churn) tls=1; churn=1; conns=10; url=$TLSURL; insecure=(--insecure) ;;
  esac
  local cmd
  if [ -n "$streams" ]; then
    case $tool in
      golive|golive-base|golive-hyper) cmd=("$(golive_bin "$tool")" stress "$h2url" --http2 --streams "$streams" -c 1 -d "${DURATION}s" --threads 1
                   --no-progress --slo errors==0 --json "$base.json" "${insecure[@]}" $(hyper_flag "$tool" "--h2-client=hyper")) ;;
      h2load) cmd=(h2load -c 1 -m "$streams" -t 1 -D "$DURATION" "$h2url") ;;
      *) return 0 ;;
    esac
  elif [ -n "$tls" ]; then
    local close=()
    [ -z "$churn" ] || close=(-H "Connection: close")
    case $tool in
      golive|golive-base|golive-hyper) cmd=("$(golive_bin "$tool")" stress "$url" -c "$conns" -d "${DURATION}s" --threads 1 --no-progress
                   --slo errors==0 --json "$base.json" --insecure "${close[@]}" $(hyper_flag "$tool" "--h1-client=hyper")) ;;
      wrk) cmd=(wrk -t1 -c"$conns" -d"${DURATION}s" --latency "${close[@]}" "$url") ;;
      oha) local keep=(); [ -z "$churn" ] || keep=(--disable-keepalive)
           cmd=(oha -z "${DURATION}s" -c "$conns" --worker-threads 1 --no-tui --output-format json --insecure "${keep[@]}" "$url") ;;
      *) return 0 ;;
    esac
  elif [ -n "$mix" ]; then
    case $tool in
      golive|golive-base|golive-hyper) cmd=("$(golive_bin "$tool")" stress "http://127.0.0.1:$PORT" --workload "$MIX" -c "$conns"
                   -d "${DURATION}s" --threads 1 --no-progress --slo errors==0 --json "$base.json") ;;
      *) return 0 ;;
    esac
  elif [ "$tool" = h2load ]; then
    # h2load paces per connection (--rps each, their timers started together), so its
    # sends come in bursts; golive spaces them evenly on one schedule.
    [ -n "$rate" ] || return 0
    cmd=(h2load --h1 -c "$conns" --rps "$((rate / conns))" -t 1 -D "$DURATION" "$URL")
  else case $tool in
    golive|golive-base|golive-hyper) cmd=("$(golive_bin "$tool")" stress "$URL" -c "$conns" -d "${DURATION}s" --threads 1 --no-progress
                 --slo errors==0 --json "$base.json" ${rate:+--rate "$rate"} $(hyper_flag "$tool" "--h1-client=hyper")) ;;
    wrk)    [ -z "$rate" ] || return 0   # wrk has no rate option (wrk2 does)
            cmd=(wrk -t1 -c"$conns" -d"${DURATION}s" --latency "$URL") ;;
    oha)    cmd=(oha -z "${DURATION}s" -c "$conns" --worker-threads 1 --no-tui --output-format json
                 ${rate:+-q "$rate" --latency-correction} "$URL") ;;
    *) return 0 ;;
  esac
  fi
  local logged
  logged=$(wc -l < "$TLSLOG")
  /usr/bin/time -f '%e %U %S %M' -o "$base.time" taskset -c "$GEN_CPU" "${cmd[@]}" > "$base.out" 2>&1 || true
  # This run's requests in nginx's TLS log: how many resumed a session ("r").
  [ -z "$tls" ] || tail -n +"$((logged + 1))" "$TLSLOG" | awk '{ n++; if ($1 == "r") r++ } END { print n + 0, r + 0 }' > "$base.tls"
  echo "  round $round  $scenario  $tool done"
}

echo "bench-peers: nginx on cpu $TARGET_CPU, generators on cpu $GEN_CPU, ${DURATION}s x $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
  for scenario in $SCENARIOS; do
    for tool in golive $PEERS; do
      run "$tool" "$scenario" "$round"
    done
  done
done

python3 - "$OUT" "$CONNS" "$RATE" <<'EOF'
import glob, json, os, re, statistics, sys
out, conns, rate = sys.argv[1], sys.argv[2], sys.argv[3]

def wrk_ms(text, pct):
    m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m: return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

def parse(tool, base):
    text = open(base + ".out").read()
    elapsed, user, sys_, rss_kb = open(base + ".time").read().split()[-4:]
    cpu = float(user) + float(sys_)
    if tool.startswith("golive"):
        r = json.load(open(base + ".json"))["results"]
        n, rps, p50, p99 = r["responses"] + r["errors_total"], r["throughput_rps"], r["latency"]["p50_ms"], r["latency"]["p99_ms"]
    elif tool == "h2load":
        n = int(re.search(r"requests: \d+ total, \d+ started, (\d+) done", text).group(1))
        rps = float(re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", text).group(1))
        m = re.search(r"time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)", text)
        unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        # h2load prints min, max and mean, no percentiles: its mean stands in for p50,
        # and it has no p99. Its clock starts when the frame goes out, not when a stream
        # was wanted, so its latency hides the wait for a free stream.
        p50, p99 = float(m.group(5)) * unit[m.group(6)], None
    elif tool == "wrk":
        n = int(re.search(r"(\d+) requests in", text).group(1))
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
        p50, p99 = wrk_ms(text, 50), wrk_ms(text, 99)
    else:
        d = json.loads(text[text.index("{"):])
        n = sum(d["statusCodeDistribution"].values()) + sum(d.get("errorDistribution", {}).values())
        rps, p50, p99 = d["summary"]["requestsPerSec"], d["latencyPercentiles"]["p50"] * 1000, d["latencyPercentiles"]["p99"] * 1000
    row = {"rps": rps, "p50_ms": p50, "p99_ms": p99, "cpu_us_per_req": cpu * 1e6 / max(n, 1), "rss_mb": int(rss_kb) / 1024}
    if os.path.exists(base + ".tls"):
        # nginx's count: requests on this run's connections, and those on a resumed session.
        logged, resumed = (int(x) for x in open(base + ".tls").read().split())
        row["resumed_pct"] = 100.0 * resumed / max(logged, 1)
        if tool.startswith("golive"):
            opened = json.load(open(base + ".json"))["results"]["generator"]["connections_opened"]
        else:
            # A new connection per request under Connection: close; else the connections.
            opened = n if "churn" in base else int(conns)
        row["handshakes_s"] = opened / max(float(elapsed), 1e-9)
    return row

runs, by_round = {}, {}
for f in sorted(glob.glob(os.path.join(out, "runs", "*.time"))):
    scenario, tool, rnd = os.path.basename(f)[:-5].split(".")
    try:
        row = parse(tool, f[:-5])
    except Exception as e:
        print(f"  could not read {f}: {e}", file=sys.stderr)
        continue
    runs.setdefault((scenario, tool), []).append(row)
    by_round[(scenario, tool, rnd)] = row

def paired(scenario, peer, key):
    """golive's ratio to the peer within each round (the two ran minutes apart at
    most, so the machine's mood falls on both): the median and the range over rounds."""
    rounds = sorted({k[2] for k in by_round if k[0] == scenario})
    rs = [by_round[(scenario, "golive", r)][key] / by_round[(scenario, peer, r)][key]
          for r in rounds if (scenario, "golive", r) in by_round and (scenario, peer, r) in by_round
          and by_round[(scenario, peer, r)][key]]
    return (statistics.median(rs), min(rs), max(rs), len(rs)) if rs else None

names = {"c1": "1 connection, unthrottled", "c50": f"{conns} connections, unthrottled",
         "mix50": f"a 3-request workload, two placeholders each, {conns} connections, unthrottled",
         "rate": f"{rate} req/s over {conns} connections",
         "h2m10": "HTTP/2, 1 connection x 10 streams", "h2m100": "HTTP/2, 1 connection x 100 streams",
         "h2tls-m10": "HTTP/2 over TLS, 1 connection x 10 streams",
         "h2tls-m100": "HTTP/2 over TLS, 1 connection x 100 streams",
         "tls-c50": f"HTTPS keep-alive, {conns} connections, unthrottled",
         "tls-churn": "HTTPS, a new connection per request (Connection: close), 10 connections"}
order = ["c1", "c50", "mix50", "rate", "h2m10", "h2m100", "h2tls-m10", "h2tls-m100", "tls-c50", "tls-churn"]
tools = ["golive", "golive-hyper", "golive-base", "wrk", "oha", "h2load"]
summary, lines = {}, []
for scenario in [s for s in order if any(k[0] == s for k in runs)]:
    tls = scenario.startswith("tls")
    lines.append(f"\n{names[scenario]} (medians)")
    lines.append(f"  {'tool':<13}{'req/s':>11}{'p50 ms':>10}{'p99 ms':>10}{'CPU µs/req':>12}{'RSS MB':>9}"
                 + (f"{'handshakes/s':>14}{'resumed':>9}" if tls else ""))
    med = {}
    for tool in tools:
        rs = runs.get((scenario, tool))
        if not rs: continue
        m = {}
        for k in rs[0]:
            vals = [r[k] for r in rs if r[k] is not None]
            m[k] = statistics.median(vals) if vals else float("nan")
        med[tool] = m
        lines.append(f"  {tool:<13}{m['rps']:>11.0f}{m['p50_ms']:>10.3f}{m['p99_ms']:>10.3f}{m['cpu_us_per_req']:>12.2f}{m['rss_mb']:>9.1f}"
                     + (f"{m.get('handshakes_s', float('nan')):>14.0f}{m.get('resumed_pct', float('nan')):>8.0f}%" if tls else ""))
    for peer in tools[1:]:
        if "golive" in med and peer in med:
            g, p = med["golive"], med[peer]
            lines.append(f"  golive/{peer}: req/s x{g['rps']/p['rps']:.2f}  p50 x{g['p50_ms']/p['p50_ms']:.2f}  "
                         f"CPU/req x{g['cpu_us_per_req']/p['cpu_us_per_req']:.2f}  RSS x{g['rss_mb']/p['rss_mb']:.2f}")
            rps, cpu = paired(scenario, peer, "rps"), paired(scenario, peer, "cpu_us_per_req")
            if rps and cpu:
                lines.append(f"    per round ({rps[3]}): req/s x{rps[0]:.2f} ({rps[1]:.2f}-{rps[2]:.2f})  "
                             f"CPU/req x{cpu[0]:.2f} ({cpu[1]:.2f}-{cpu[2]:.2f})")
                med[f"vs_{peer}"] = {"rps_ratio": rps[:3], "cpu_ratio": cpu[:3], "rounds": rps[3]}
    summary[scenario] = med
    if scenario == "mix50" and "golive" in summary.get("c50", {}) and "golive" in med:
        one, mix = summary["c50"]["golive"], med["golive"]
        lines.append(f"  mix/single URL: CPU/req x{mix['cpu_us_per_req']/one['cpu_us_per_req']:.2f}  req/s x{mix['rps']/one['rps']:.2f}")
text = "\n".join(lines)
print(text)
open(os.path.join(out, "summary.txt"), "w").write(text + "\n")
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=2)
print(f"\nruns and summary in {out}/")
EOF
