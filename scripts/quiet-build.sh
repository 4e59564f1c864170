#!/usr/bin/env bash
# Builds what is stale for a turbo filter (e.g. apps/cli...) and prints turbo's output only when the
# build fails, so `pnpm dfs …` shows nothing but dfs's own output.
set -u
if ! out=$(turbo run build --filter="$1" --output-logs=errors-only 2>&1); then
  printf '%s\n' "$out" >&2
  exit 1
fi
