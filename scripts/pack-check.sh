#!/usr/bin/env bash
# Proves each publishable package works alone: `pnpm pack` it (workspace ranges become real ones),
# install the tarballs with npm into an unrelated temp project, and run a tiny ESM program against
# each package's public exports. Packages add their own smoke program as scripts/pack-smoke/<name>.mjs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tarballs" "$work/project"
for dir in "$root"/packages/*/; do
  (cd "$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
for tgz in "$work"/tarballs/*.tgz; do
  if tar -xOzf "$tgz" package/package.json | grep -q '"workspace:'; then
    echo "pack-check: $(basename "$tgz") still has workspace: ranges" >&2
    exit 1
  fi
done
cd "$work/project"
npm init -y >/dev/null
npm pkg set type=module >/dev/null
npm install --no-audit --no-fund --loglevel=error "$work"/tarballs/*.tgz
status=0
for smoke in "$root"/scripts/pack-smoke/*.mjs; do
  [ -e "$smoke" ] || continue
  cp "$smoke" ./smoke.mjs
  if node smoke.mjs; then
    echo "pack-check: $(basename "$smoke" .mjs) ok"
  else
    echo "pack-check: $(basename "$smoke" .mjs) FAILED" >&2
    status=1
  fi
done
exit $status
