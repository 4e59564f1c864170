#!/usr/bin/env bash
# Puts `dfs` on PATH from this clone: builds the CLI (and the packages it uses) unless --no-build,
# then writes a two-line shim to $DFS_BIN_DIR, else $XDG_BIN_HOME, else ~/.local/bin, that runs
# apps/cli/dist/main.js with node. Run again after pulling to rebuild; delete the shim to uninstall.
# Usage: bash scripts/install-cli.sh [--no-build]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin_dir=${DFS_BIN_DIR:-${XDG_BIN_HOME:-$HOME/.local/bin}}
build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    *) echo "usage: bash scripts/install-cli.sh [--no-build]" >&2; exit 2 ;;
  esac
done
if [[ $build == 1 ]]; then
  # pnpm exec puts the repository's turbo on PATH for the build script.
  (cd "$repo" && pnpm exec bash scripts/quiet-build.sh apps/cli...)
fi
main="$repo/apps/cli/dist/main.js"
if [[ ! -f "$main" ]]; then
  echo "install-cli: $main is missing — run pnpm install && pnpm build first" >&2
  exit 1
fi
mkdir -p "$bin_dir"
tmp=$(mktemp "$bin_dir/.dfs.XXXXXX")
printf '#!/bin/sh\nexec node "%s" "$@"\n' "$main" >"$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$bin_dir/dfs"
echo "installed $bin_dir/dfs → $main"
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) echo "note: $bin_dir is not on your PATH; add it, e.g. export PATH=\"$bin_dir:\$PATH\"" ;;
esac
