#!/usr/bin/env bash
# The Heroku emulator for the steps of a workflow job (.github/workflows/self-test.yml), run from the
# repository's root after `npm ci`:
#
#   scripts/emulator-in-background.sh start APP...   starts `npm run emulator` in the background with these
#       apps and a fresh key (masked), waits until it listens, and hands the next steps HEROKU_API_URL,
#       HEROKU_GIT_URL and HEROKU_API_KEY through $GITHUB_ENV;
#   scripts/emulator-in-background.sh stop           stops it (SIGTERM: it stops its dynos first) and
#       prints its log in a folded group.
set -euo pipefail

log="$RUNNER_TEMP/heroku-emulator.log"
pid_file="$RUNNER_TEMP/heroku-emulator.pid"

case "${1:-}" in
  start)
    shift
    [ "$#" -gt 0 ] || { echo "::error::usage: $0 start APP..." >&2; exit 2; }
    key="HRKU-self-test-$(node -p "require('node:crypto').randomBytes(16).toString('hex')")"
    echo "::add-mask::$key"
    apps=()
    for app in "$@"; do apps+=(--app "$app"); done
    # Its own session, so that stop ends npm, tsx and the emulator together.
    setsid npm run --silent emulator -- --key "$key" "${apps[@]}" </dev/null >"$log" 2>&1 &
    echo "$!" >"$pid_file"
    url=''
    for _ in $(seq 1 240); do
      url="$(sed -n 's/^  HEROKU_API_URL=//p' "$log")"
      [ -n "$url" ] && break
      if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        echo "::error::The emulator exited before it listened:" >&2
        cat "$log" >&2
        exit 1
      fi
      sleep 0.25
    done
    if [ -z "$url" ]; then
      echo "::error::The emulator did not listen within 60 s:" >&2
      cat "$log" >&2
      exit 1
    fi
    {
      echo "HEROKU_API_URL=$url"
      echo "HEROKU_GIT_URL=$url"
      echo "HEROKU_API_KEY=$key"
    } >>"$GITHUB_ENV"
    echo "Heroku emulator on $url with the apps: $*"
    ;;
  stop)
    if [ -f "$pid_file" ]; then
      pid="$(cat "$pid_file")"
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 0.25
      done
      kill -KILL -- "-$pid" 2>/dev/null || true
      rm -f "$pid_file"
    fi
    echo "::group::Emulator log"
    cat "$log" 2>/dev/null || echo "(no log: the emulator was not started)"
    echo "::endgroup::"
    ;;
  *)
    echo "usage: $0 start APP... | stop" >&2
    exit 2
    ;;
esac
