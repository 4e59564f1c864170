#!/usr/bin/env bash
# Proves the release flow end to end against a throwaway local registry (verdaccio on 127.0.0.1 with a
# temp storage dir), in a temp clone so the working tree is never touched:
#   1. publish the current versions of every public package (the "already released" baseline);
#   2. add two changesets touching different packages (@dfs/store patch, @dfs/client minor);
#   3. `changeset version` + `changeset publish`;
# then assert that each of the two packages got its own new version and nothing else was bumped, that
# only changed packages were published again, that the private apps were never published, and that a
# published package with workspace dependencies installs from the registry with real ranges.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
registry_pid=""
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "release-test: FAIL: $*" >&2; exit 1; }
say() { echo "release-test: $*"; }

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
registry="http://127.0.0.1:$port"

say "installing verdaccio 6.8.0 (last release on Node 20)"
mkdir -p "$work/verdaccio/storage"
(
  cd "$work/verdaccio"
  npm init -y >/dev/null
  npm pkg set 'overrides.verdaccio-audit.node-fetch=2.7.0'
  npm install --no-audit --no-fund --loglevel=error verdaccio@6.8.0 >/dev/null
)
cat >"$work/verdaccio/config.yaml" <<YAML
storage: $work/verdaccio/storage
auth:
  htpasswd:
    file: $work/verdaccio/htpasswd
    max_users: 10
uplinks: {}
packages:
  '@dfs/*':
    access: \$all
    publish: \$authenticated
  '**':
    access: \$all
    publish: \$authenticated
log: { type: stdout, format: pretty, level: warn }
YAML
"$work/verdaccio/node_modules/.bin/verdaccio" --config "$work/verdaccio/config.yaml" \
  --listen "127.0.0.1:$port" >"$work/verdaccio.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do
  curl -fs "$registry/-/ping" >/dev/null 2>&1 && break
  kill -0 "$registry_pid" 2>/dev/null || { cat "$work/verdaccio.log"; fail "verdaccio exited"; }
  node -e 'setTimeout(()=>{},100)' # poll interval for an external process we do not control
done
curl -fs "$registry/-/ping" >/dev/null || fail "verdaccio did not answer on $registry"

token=$(curl -fs -X PUT "$registry/-/user/org.couchdb.user:release-test" \
  -H 'content-type: application/json' \
  -d '{"name":"release-test","password":"release-test-password"}' |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
[ -n "$token" ] || fail "could not create a registry user"

say "cloning the repository into a temp dir"
git clone -q --no-local "$root" "$work/repo"
cd "$work/repo"
cat >"$work/npmrc" <<NPMRC
registry=$registry
//127.0.0.1:$port/:_authToken=$token
NPMRC
upstream="$(npm config get registry)"
export NPM_CONFIG_USERCONFIG="$work/npmrc" npm_config_registry="$registry" NPM_CONFIG_REGISTRY="$registry"
# Dependencies come from the usual registry; only publishing and @dfs installs use the local one.
pnpm install --frozen-lockfile --prefer-offline --registry "$upstream" >/dev/null
pnpm build >/dev/null

public_packages=$(node -e '
const fs=require("fs");
for (const d of fs.readdirSync("packages")) {
  const p=JSON.parse(fs.readFileSync(`packages/${d}/package.json`));
  if (!p.private) console.log(p.name);
}')
version_of() { node -p "require('./packages/$1/package.json').version"; }

say "publishing the baseline"
rm -f .changeset/*.md.tmp
find .changeset -name '*.md' ! -name 'README.md' -delete
git -c user.name=release-test -c user.email=release-test@localhost commit -qam "baseline: no pending changesets" >/dev/null || true
npx changeset publish >"$work/publish-1.log" 2>&1 || { cat "$work/publish-1.log"; fail "baseline publish failed"; }

store_before=$(version_of store)
client_before=$(version_of client)
transport_before=$(version_of transport)

say "adding two changesets and versioning"
cat >.changeset/release-test-store.md <<'MD'
---
'@dfs/store': patch
---

Release test: a patch to the store.
MD
cat >.changeset/release-test-client.md <<'MD'
---
'@dfs/client': minor
---

Release test: a feature in the client.
MD
npx changeset version >/dev/null
git add -A && git -c user.name=release-test -c user.email=release-test@localhost commit -qm "version packages"
store_after=$(version_of store)
client_after=$(version_of client)
transport_after=$(version_of transport)
expect_bump() { # before after kind
  local want
  want=$(node -e '
    const [b,k]=process.argv.slice(1); const [M,m,p]=b.split(".").map(Number);
    console.log(k==="patch"?`${M}.${m}.${p+1}`:`${M}.${m+1}.0`)' "$1" "$3")
  [ "$2" = "$want" ] || fail "expected $1 -> $want ($3), got $2"
}
expect_bump "$store_before" "$store_after" patch
expect_bump "$client_before" "$client_after" minor
[ "$transport_after" = "$transport_before" ] || fail "@dfs/transport was bumped without a changeset"
grep -q 'a patch to the store' packages/store/CHANGELOG.md || fail "store CHANGELOG has no entry"
grep -q 'a feature in the client' packages/client/CHANGELOG.md || fail "client CHANGELOG has no entry"
for app in apps/*/package.json; do
  [ "$(node -p "require('./$app').version")" = "0.0.0" ] || fail "$app was versioned"
done

say "publishing the changed packages"
npx changeset publish >"$work/publish-2.log" 2>&1 || { cat "$work/publish-2.log"; fail "publish failed"; }
published_versions() { npm view "$1" versions --json --registry "$registry" 2>/dev/null | node -e '
  let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s||"[]");console.log([].concat(v).join(" "))})'; }
[ "$(published_versions @dfs/store)" = "$store_before $store_after" ] || fail "@dfs/store versions: $(published_versions @dfs/store)"
[ "$(published_versions @dfs/client)" = "$client_before $client_after" ] || fail "@dfs/client versions: $(published_versions @dfs/client)"
for name in $public_packages; do
  case "$name" in @dfs/store | @dfs/client) continue ;; esac
  [ "$(published_versions "$name")" = "$(node -p "require('./packages/${name#@dfs/}/package.json').version")" ] ||
    fail "$name was published again without a change: $(published_versions "$name")"
done
stored=$(cd "$work/verdaccio/storage" && find . -name package.json -path '*@dfs*' | sed 's#^\./##; s#/package.json##' | sort | tr '\n' ' ')
for app in apps/*/package.json; do
  name=$(node -p "require('./$app').name")
  case " $stored " in *" $name "*) fail "private $name was published" ;; esac
done
[ ! -d "$work/verdaccio/storage/apps" ] || fail "a private app reached the registry"

say "installing a published package with workspace dependencies from the registry"
mkdir "$work/consumer"
cd "$work/consumer"
npm init -y >/dev/null
npm pkg set type=module >/dev/null
unset npm_config_registry NPM_CONFIG_REGISTRY
npm install --no-audit --no-fund --loglevel=error --registry "$upstream" "--@dfs:registry=$registry" @dfs/peer-discovery >/dev/null
if grep -rq '"workspace:' node_modules/@dfs/*/package.json; then fail "a published manifest still has workspace: ranges"; fi
node -e 'import("@dfs/peer-discovery").then(()=>console.log("release-test: @dfs/peer-discovery imports"))'
say "ok: store $store_before -> $store_after, client $client_before -> $client_after, others unchanged, apps unpublished"
