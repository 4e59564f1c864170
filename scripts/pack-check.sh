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
run_smoke() { # label file
  cp "$2" ./smoke.mjs
  if node smoke.mjs >"$work/smoke.log" 2>&1; then
    echo "pack-check: $1 ok"
  else
    cat "$work/smoke.log" >&2
    echo "pack-check: $1 FAILED" >&2
    status=1
  fi
}
for smoke in "$root"/scripts/pack-smoke/*.mjs; do
  [ -e "$smoke" ] && run_smoke "$(basename "$smoke" .mjs)" "$smoke"
done
# Every package README's first ```js example must run as written against the packed packages.
node "$root/scripts/readme-examples.mjs" "$root/packages" "$work/examples"
for example in "$work"/examples/*.mjs; do
  [ -e "$example" ] && run_smoke "README example of @dfs/$(basename "$example" .mjs)" "$example"
done
exit $status
