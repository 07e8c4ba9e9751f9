#!/usr/bin/env bash
# Builds the integration test-bed toolchain into .tools/ (git-ignored), from Go modules only:
#   .tools/bin/{pulumi,pulumi-language-nodejs,pulumi-resource-pulumi-nodejs,kube-apiserver,kube-controller-manager,kubectl,etcd,clusterctl,capi-controller-manager,versitygw,checkconfig}
#   .tools/pulumi-home/plugins/resource-NAME-vX.Y.Z/  (provider plugins, via `pulumi plugin install --file`)
#   .tools/env.sh                                      (source it in tests/CI)
#
# Versions: scripts/testbed-versions.env (Go-only tools, npm-version -> Go-module mapping);
# the pulumi CLI and provider versions are read from package.json on every run.
# Builds are cached machine-wide in ${PROW_OPS_TOOLS_CACHE:-$HOME/.cache/prow-ops/tools}/<name>-<version>/
# and hard-linked (or copied) into .tools/, so a second run, or a fresh clone, takes seconds.
# Go's module and build caches stay at their default locations.
#
# Usage: npm run testbed:setup   (or: bash scripts/testbed-setup.sh)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=testbed-versions.env
source "$ROOT/scripts/testbed-versions.env"

CACHE=${PROW_OPS_TOOLS_CACHE:-$HOME/.cache/prow-ops/tools}
TOOLS=$ROOT/.tools
BIN=$TOOLS/bin
export PULUMI_HOME=$TOOLS/pulumi-home
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_IGNORE_AMBIENT_PLUGINS=true
# Static binaries, never download another Go toolchain, let builds add go.sum lines, ignore any go.work.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off
if ! command -v go >/dev/null 2>&1; then
  [ -x /usr/local/go/bin/go ] && export PATH="$PATH:/usr/local/go/bin" || { echo "testbed-setup: go not found" >&2; exit 1; }
fi
GOBUILD=(go build -p 2 -trimpath)

START=$SECONDS
CURRENT_TOOL=""
CURRENT_LOG=""
WARNINGS=()

log() { printf 'testbed: %s\n' "$*"; }
warn() { printf 'testbed: WARNING: %s\n' "$*" >&2; WARNINGS+=("$*"); }
die() { printf 'testbed: ERROR%s: %s\n' "${CURRENT_TOOL:+ ($CURRENT_TOOL)}" "$*" >&2; exit 1; }
elapsed() { local s=$(( SECONDS - $1 )); printf '%dm%02ds' $(( s / 60 )) $(( s % 60 )); }
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    printf 'testbed: FAILED%s (exit %d)%s\n' "${CURRENT_TOOL:+ at $CURRENT_TOOL}" "$rc" \
      "${CURRENT_LOG:+; full log: $CURRENT_LOG}" >&2
  fi
}
trap on_exit EXIT

mkdir -p "$CACHE/logs" "$BIN" "$PULUMI_HOME"
rm -f "$BIN"/pulumi-resource-*   # never leave ambient provider plugins on PATH
# One setup at a time per machine (two clones may share the cache).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
  # leftovers of an interrupted run (safe: we hold the lock)
  chmod -R u+w "$CACHE"/.work-* 2>/dev/null || true
  rm -rf "$CACHE"/.work-* "$CACHE"/*.partial.*
fi

# ---------------------------------------------------------------------------------------------
# helpers

# npm_version PACKAGE -> exact version from package.json dependencies/devDependencies
npm_version() {
  local v
  v=$(node -p "const p=require('./package.json'); (p.dependencies||{})['$1'] || (p.devDependencies||{})['$1'] || ''")
  [ -n "$v" ] || die "package.json has no dependency $1"
  [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "package.json pins $1 to '$v'; need an exact X.Y.Z version"
  printf '%s' "$v"
}

# mapping PREFIX NAME VERSION -> value of ${PREFIX}_NAME_X_Y_Z from testbed-versions.env ('' if unset)
mapping() {
  local key="${1}${2:+_$2}_${3//./_}"
  key=${key//-/_}
  printf '%s' "${!key-}"
}

# gomod_of MODULE@VERSION -> path of its go.mod in the module cache (downloads the module)
gomod_of() {
  go mod download -json "$1" | node -e '
    let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);
    if(j.Error){console.error(j.Error);process.exit(1)} console.log(process.argv[1]==="dir"?j.Dir:j.GoMod)})' "${2:-gomod}"
}

# replace_args GOMOD SIBLING_FN -> `go mod edit` arguments that reproduce GOMOD's replaces in a
# wrapper: replaces onto other modules are repeated; replaces onto local folders (siblings in the
# same repo, absent from the module zip) become "module => module@$(SIBLING_FN module)" when the
# module is required, and are dropped otherwise (guards such as ./FORBIDDEN_DEPENDENCY).
replace_args() {
  local gomod=$1 sibling_fn=$2 kind arg v
  [ -f "$gomod" ] || { echo "replace_args: no go.mod '$gomod'" >&2; return 1; }
  while read -r kind arg; do
    case "$kind" in
      remote) printf -- '%s\n' "$arg" ;;
      local-required) v=$("$sibling_fn" "$arg"); printf -- '-replace=%s=%s@%s\n-require=%s@%s\n' "$arg" "$arg" "$v" "$arg" "$v" ;;
    esac
  done < <(go mod edit -json "$gomod" | node -e '
    let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);
    const req=new Set((j.Require||[]).map(r=>r.Path));
    for(const r of j.Replace||[]){
      if(r.New.Version) console.log("remote -replace="+r.Old.Path+(r.Old.Version?"@"+r.Old.Version:"")+"="+r.New.Path+"@"+r.New.Version);
      else console.log((req.has(r.Old.Path)?"local-required ":"local-dropped ")+r.Old.Path);
    }})')
}

# wrapper_module DIR MODULE VERSION SIBLING_FN [extra go mod edit args...]
# Creates a throw-away main module in DIR that requires MODULE@VERSION with its replaces fixed.
wrapper_module() {
  local dir=$1 mod=$2 ver=$3 sib=$4; shift 4
  mkdir -p "$dir"
  ( cd "$dir"
    rm -f go.mod go.sum
    go mod init prow-ops.local/testbed/wrapper >/dev/null 2>&1
    local gomod args=()
    gomod=$(gomod_of "$mod@$ver")
    local argstr
    argstr=$(replace_args "$gomod" "$sib")
    [ -z "$argstr" ] || mapfile -t args <<<"$argstr"
    go mod edit -require="$mod@$ver" "${args[@]}" "$@"
    echo "wrapper go.mod for $mod@$ver:"; cat go.mod
  )
}

# link_bin SRC -> .tools/bin/NAME (hard link when possible, else copy)
link_bin() {
  local src=$1 dst="$BIN/$(basename "$1")"
  rm -f "$dst"
  ln "$src" "$dst" 2>/dev/null || cp -p "$src" "$dst"
}

# ensure_tool NAME VERSION BUILDER BINARY... : build once into $CACHE/NAME-VERSION/, link into .tools/bin
ensure_tool() {
  local name=$1 version=$2 builder=$3; shift 3
  local dir="$CACHE/$name-$version" b have=1
  CURRENT_TOOL="$name $version"
  for b in "$@"; do [ -x "$dir/$b" ] || have=0; done
  if [ "$have" = 1 ]; then
    log "cached   $name $version"
  else
    log "building $name $version … (log: $CACHE/logs/$name-$version.log)"
    local t0=$SECONDS work out
    work=$(mktemp -d "$CACHE/.work-$name-XXXXXX")
    out="$dir.partial.$$"
    rm -rf "$out"; mkdir -p "$out"
    CURRENT_LOG="$CACHE/logs/$name-$version.log"
    local rc=0
    set +e
    ( set -e -x; cd "$work"; "$builder" "$version" "$out" "$work" ) >"$CURRENT_LOG" 2>&1
    rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
      echo "---- last lines of $CURRENT_LOG ----" >&2
      tail -n 40 "$CURRENT_LOG" >&2
      chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$out" "$work"
      die "build failed"
    fi
    for b in "$@"; do [ -x "$out/$b" ] || die "build produced no $b"; done
    rm -rf "$dir"; mv "$out" "$dir"
    chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"
    log "built    $name $version in $(elapsed "$t0") ($(du -sh "$dir" | cut -f1))"
    CURRENT_LOG=""
  fi
  # provider plugins stay out of .tools/bin (they are installed into PULUMI_HOME instead)
  [ "${NO_LINK:-0}" = 1 ] || for b in "$@"; do link_bin "$dir/$b"; done
}

# ---------------------------------------------------------------------------------------------
# builders: BUILDER VERSION OUTDIR WORKDIR (run in WORKDIR, output to a log)

PULUMI_VERSION=$(npm_version @pulumi/pulumi)

same_version_pulumi() { echo "v$PULUMI_VERSION"; }
build_pulumi() {
  local v=$1 out=$2
  wrapper_module . github.com/pulumi/pulumi/pkg/v3 "$v" same_version_pulumi \
    -require="github.com/pulumi/pulumi/sdk/v3@$v"
  "${GOBUILD[@]}" -o "$out/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  "$out/pulumi" version
}

LANGHOST_SPEC=""
no_siblings() { echo "testbed: unexpected local replace of $1" >&2; return 1; }
build_langhost() {
  local out=$2 mod pkg v
  read -r mod pkg <<<"$LANGHOST_SPEC"
  v=${mod#*@}
  wrapper_module . "${mod%@*}" "$v" no_siblings
  "${GOBUILD[@]}" -o "$out/pulumi-language-nodejs" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" "$pkg"
}

KUBE_STAGING_VERSION=""
kube_staging() { echo "$KUBE_STAGING_VERSION"; }
build_kubernetes() {
  local v=$1 out=$2 major minor
  major=${v#v}; major=${major%%.*}
  minor=${v#v*.}; minor=${minor%%.*}
  KUBE_STAGING_VERSION="v0.${v#v*.}"
  wrapper_module . k8s.io/kubernetes "$v" kube_staging
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  "${GOBUILD[@]}" -o "$out/kube-apiserver" -ldflags "$ld" k8s.io/kubernetes/cmd/kube-apiserver
  "${GOBUILD[@]}" -o "$out/kubectl" -ldflags "$ld" k8s.io/kubernetes/cmd/kubectl
  # Namespace finalization and garbage collection, so a destroy in tests leaves nothing behind.
  "${GOBUILD[@]}" -o "$out/kube-controller-manager" -ldflags "$ld" k8s.io/kubernetes/cmd/kube-controller-manager
  "$out/kube-apiserver" --version
}

ETCD_SIBLING=""
etcd_sibling() { echo "$ETCD_SIBLING"; }
build_etcd() {
  local v=$1 out=$2
  ETCD_SIBLING=$v
  wrapper_module . go.etcd.io/etcd/server/v3 "$v" etcd_sibling
  "${GOBUILD[@]}" -o "$out/etcd" -ldflags "-s -w" go.etcd.io/etcd/server/v3
  "$out/etcd" --version
}

CAPI_SIBLING=""
capi_sibling() { echo "$CAPI_SIBLING"; }
# One binary of the sigs.k8s.io/cluster-api module at tag $1 into $2/$3, from package $4.
build_capi_binary() {
  local v=$1 out=$2 name=$3 pkg=$4 major minor p=sigs.k8s.io/cluster-api/version
  CAPI_SIBLING=$v
  major=${v#v}; major=${major%%.*}
  minor=${v#v*.}; minor=${minor%%.*}
  wrapper_module . sigs.k8s.io/cluster-api "$v" capi_sibling
  "${GOBUILD[@]}" -o "$out/$name" \
    -ldflags "-s -w -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean" \
    "$pkg"
}
build_clusterctl() {
  build_capi_binary "$1" "$2" clusterctl sigs.k8s.io/cluster-api/cmd/clusterctl
  CLUSTERCTL_DISABLE_VERSIONCHECK=true "$2/clusterctl" version
}
# Cluster API's core controller manager (the module's root package): the real Cluster,
# MachineDeployment/MachineSet and Machine controllers and webhooks for the life-cycle tests.
build_capi_manager() {
  build_capi_binary "$1" "$2" capi-controller-manager sigs.k8s.io/cluster-api
  "$2/capi-controller-manager" --help >/dev/null 2>&1 || [ $? -eq 2 ]  # pflag's usage exits 2: the binary runs
}

build_checkconfig() {
  local out=$2 v=$CHECKCONFIG_VERSION
  wrapper_module . sigs.k8s.io/prow "$v" no_siblings -require="golang.org/x/tools@$CHECKCONFIG_XTOOLS_VERSION"
  "${GOBUILD[@]}" -o "$out/checkconfig" -ldflags "-s -w" sigs.k8s.io/prow/cmd/checkconfig
  "$out/checkconfig" --help >/dev/null 2>&1 || [ $? -eq 2 ]  # flag's usage exits 2: the binary runs
}

build_versitygw() {
  local v=$1 out=$2
  GOFLAGS= GOBIN="$out" go install -trimpath -ldflags "-s -w" "github.com/versity/versitygw/cmd/versitygw@$v"
  "$out/versitygw" --version
}

PROVIDER_NAME=""
PROVIDER_MODULE=""
provider_sibling() { echo "v$PROVIDER_BUILD_VERSION"; }
build_provider() {
  local v=${1#v} out=$2 work=$3 name=$PROVIDER_NAME mod=${PROVIDER_MODULE%@*} modver=${PROVIDER_MODULE#*@}
  local src dir args=()
  # The module zip lacks the git-ignored schema-embed.json, so build from a writable copy.
  dir=$(gomod_of "$mod@$modver" dir)
  src="$work/src"
  cp -r "$dir" "$src"; chmod -R u+w "$src"
  cd "$src"
  local argstr
  argstr=$(replace_args "$src/go.mod" provider_sibling)
  [ -z "$argstr" ] || mapfile -t args <<<"$argstr"
  # drop the local replaces themselves, then add the module-path ones back
  local r
  for r in $(go mod edit -json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const r of JSON.parse(s).Replace||[]) if(!r.New.Version) console.log(r.Old.Path)})'); do
    go mod edit -dropreplace="$r"
  done
  [ "${#args[@]}" -eq 0 ] || go mod edit "${args[@]}"
  cat go.mod | sed -n '1,5p;/replace/p'
  local cmd="cmd/pulumi-resource-$name"
  if [ -f "$cmd/generate.go" ]; then
    ( cd "$cmd" && VERSION="$v" go run generate.go )
  fi
  [ -f "$cmd/schema-embed.json" ] || { echo "no $cmd/schema-embed.json after schema generation"; return 1; }
  "${GOBUILD[@]}" -o "$out/pulumi-resource-$name" -ldflags "-s -w -X $mod/pkg/version.Version=$v" "./$cmd"
}

# plugin_install NAME VERSION BINARY
plugin_install() {
  local name=$1 v=$2 bin=$3
  CURRENT_TOOL="plugin $name $v"
  if [ -x "$PULUMI_HOME/plugins/resource-$name-v$v/pulumi-resource-$name" ] &&
     cmp -s "$bin" "$PULUMI_HOME/plugins/resource-$name-v$v/pulumi-resource-$name"; then
    log "cached   plugin resource $name $v (installed)"
    return
  fi
  log "installing plugin resource $name $v"
  "$BIN/pulumi" plugin install resource "$name" "$v" --file "$bin" --reinstall >/dev/null ||
    die "pulumi plugin install resource $name $v failed"
}

# ---------------------------------------------------------------------------------------------
# 0. Debian packages of the local cloud (network namespaces with a real sshd and nftables)
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
[ -x /usr/sbin/nft ] || missing+=(nftables)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
if [ ${#missing[@]} -gt 0 ]; then
  CURRENT_TOOL="apt-get install ${missing[*]}"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]} …"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    warn "${missing[*]} missing: install them (as root: apt-get install ${missing[*]}); the local-cloud tests need them"
  fi
fi

log "tools cache: $CACHE"

# 1. pulumi CLI at the @pulumi/pulumi version
ensure_tool pulumi "v$PULUMI_VERSION" build_pulumi pulumi

# 2. nodejs language host (for plain `pulumi preview` of the local program)
CURRENT_TOOL="pulumi-language-nodejs"
LANGHOST_SPEC=$(mapping LANGHOST "" "$PULUMI_VERSION")
[ -n "$LANGHOST_SPEC" ] || die "testbed-versions.env has no LANGHOST_${PULUMI_VERSION//./_} for @pulumi/pulumi $PULUMI_VERSION"
case "$LANGHOST_SPEC" in
  unavailable:*) warn "pulumi-language-nodejs for pulumi $PULUMI_VERSION: ${LANGHOST_SPEC#unavailable: }" ;;
  *)
    lh_mod=${LANGHOST_SPEC%% *}
    [ "${lh_mod#*@}" = "v$PULUMI_VERSION" ] ||
      warn "pulumi-language-nodejs is built at ${lh_mod#*@}, not v$PULUMI_VERSION (see testbed-versions.env)"
    ensure_tool pulumi-language-nodejs "${lh_mod#*@}" build_langhost pulumi-language-nodejs ;;
esac

# 2b. the Node.js dynamic-provider plugin that Pulumi's releases bundle beside the CLI. The
#     engine starts it in the program's folder; node resolves @pulumi/pulumi from there, else
#     from this project (Automation API workspaces in a temporary folder).
cat >"$BIN/pulumi-resource-pulumi-nodejs" <<EOF_PLUGIN
#!/bin/sh
provider=\$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/dynamic-provider', { paths: [process.cwd(), '$ROOT'] }))") || exit 1
exec node "\$provider" "\$@"
EOF_PLUGIN
chmod 755 "$BIN/pulumi-resource-pulumi-nodejs"

# 3. Kubernetes control plane and client, etcd, clusterctl
ensure_tool kubernetes "$KUBERNETES_VERSION" build_kubernetes kube-apiserver kubectl kube-controller-manager
ensure_tool etcd "$ETCD_VERSION" build_etcd etcd
ensure_tool clusterctl "$CLUSTERCTL_VERSION" build_clusterctl clusterctl
ensure_tool capi-manager "$CLUSTERCTL_VERSION" build_capi_manager capi-controller-manager
ensure_tool versitygw "$VERSITYGW_VERSION" build_versitygw versitygw
ensure_tool checkconfig "$CHECKCONFIG_VERSION-xtools-$CHECKCONFIG_XTOOLS_VERSION" build_checkconfig checkconfig

# 4. provider plugins at the versions of their npm packages
for name in kubernetes random openstack github command; do
  npm_v=$(npm_version "@pulumi/$name")
  CURRENT_TOOL="provider $name $npm_v"
  spec=$(mapping PROVIDER "$name" "$npm_v")
  [ -n "$spec" ] || die "package.json has @pulumi/$name $npm_v but scripts/testbed-versions.env has no PROVIDER_${name}_${npm_v//./_}; add the pseudo-version of the v$npm_v release commit"
  PROVIDER_BUILD_VERSION=$npm_v
  case "$spec" in
    unavailable:*)
      warn "provider $name $npm_v NOT installed: ${spec#unavailable: }"
      continue ;;
    substitute\ *)
      PROVIDER_BUILD_VERSION=${spec#substitute }
      spec=$(mapping PROVIDER "$name" "$PROVIDER_BUILD_VERSION")
      [[ "$spec" == *@* ]] || die "substitute $PROVIDER_BUILD_VERSION for $name has no module mapping"
      warn "provider $name $npm_v cannot be built here; installing $PROVIDER_BUILD_VERSION instead (package.json asks for $npm_v)" ;;
  esac
  PROVIDER_NAME=$name
  PROVIDER_MODULE=$spec
  NO_LINK=1 ensure_tool "pulumi-resource-$name" "v$PROVIDER_BUILD_VERSION" build_provider "pulumi-resource-$name"
  plugin_install "$name" "$PROVIDER_BUILD_VERSION" "$CACHE/pulumi-resource-$name-v$PROVIDER_BUILD_VERSION/pulumi-resource-$name"
done
CURRENT_TOOL=""

# 5. env.sh for tests and CI
cat >"$TOOLS/env.sh" <<EOF
# Generated by scripts/testbed-setup.sh; source it: . .tools/env.sh
export PATH="$BIN:\$PATH"
export PULUMI_HOME="$PULUMI_HOME"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
EOF

log "wrote .tools/env.sh"
for w in "${WARNINGS[@]}"; do log "WARNING: $w"; done
log "done in $(elapsed "$START")"
