#!/usr/bin/env bash
# Starts the embedded product: web (granian: the production command with one worker), a Celery
# worker on the filesystem broker and the local demo model server. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
PORT="${PORT:-8000}"
DEMO_MODEL_PORT="${DEMO_MODEL_PORT:-8001}"
export PROMPTOPS_DEMO_MODEL_URL="${PROMPTOPS_DEMO_MODEL_URL:-http://127.0.0.1:${DEMO_MODEL_PORT}/v1}"

# The demo workspace's "Local demo model" provider points at the demo model server started below.
"$VENV/bin/python" manage.py setup_demo_models --workspace demo > /dev/null || true
# A playground session on the seeded triage prompt, three columns, to open and watch stream.
"$VENV/bin/python" manage.py seed_demo_playground --workspace demo > /dev/null || true

pids=()
stop() {
  trap - INT TERM EXIT
  # Their own children too (Celery's pool and beat, granian's worker): Ctrl-C returns only
  # once every process this script started is gone, not just the three bash can wait for.
  local started=("${pids[@]}")
  for pid in "${pids[@]}"; do started+=($(pgrep -P "$pid" 2>/dev/null || true)); done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
}
trap stop INT TERM EXIT

"$VENV/bin/python" manage.py demo_model_server --host 127.0.0.1 --port "$DEMO_MODEL_PORT" &
pids+=($!)
# -B: the periodic tasks' scheduler (analytics rollups, log retention, stalled evaluation items)
# runs inside this worker (a child process). Threads pool: an item mostly waits for the model,
# and 8 threads share one event loop and its provider connections (docs/operators.md, B5).
"$VENV/bin/celery" -A config worker -B --pool=threads --concurrency=8 --loglevel=warning &
pids+=($!)
# The production web command (README "Production") with one worker: see config/asgi.py.
"$VENV/bin/granian" --interface asgi --host 127.0.0.1 --port "$PORT" --workers 1 \
  --log-level warning config.asgi:application &
pids+=($!)

for _ in $(seq 1 100); do
  if "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:${PORT}/healthz', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
echo
echo "  PromptOps is running: http://127.0.0.1:${PORT}/"
echo "  $(cat var/demo-login.txt 2>/dev/null || echo 'Demo login: demo@example.com')"
echo "  Local demo model (not an LLM): ${PROMPTOPS_DEMO_MODEL_URL}"
echo "  Press Ctrl-C to stop."
echo
wait -n "${pids[@]}"
