#!/usr/bin/env bash
# Builds the upstream judges of our manifests from the Go module proxy, once per machine:
#   istioctl (istio.io/istio), kube-apiserver (k8s.io/kubernetes), etcd (go.etcd.io/etcd/server/v3),
#   netpolicy (github.com/np-guard/netpol-analyzer), promtool (github.com/prometheus/prometheus).
# Each tool is built from its wrapper module in scripts/upstream/<tool>/ (go.mod + go.sum pin every
# module) into ${XDG_CACHE_HOME:-~/.cache}/cdk8s-mesh-perimeter/tools/<tool>-<version>-<hash of go.mod+go.sum>/,
# outside the clone, so CI and later runs reuse it; the Go build and module caches stay at Go's defaults.
# The binaries are linked into .tools/bin/ (gitignored), where the conformance tests look for them.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v go > /dev/null || { echo "build-tools: no 'go' on PATH (Go >= 1.26 is needed to build the upstream tools)" >&2; exit 1; }
cache=${MESH_PERIMETER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-mesh-perimeter/tools}
mkdir -p .tools/bin "$cache"
# go.sum pins every module; nothing is resolved anew (np-guard/models is not in the checksum database
# this proxy serves, so a fresh `go mod tidy` of the netpolicy wrapper needs GONOSUMDB for it).
export GOFLAGS="${GOFLAGS:-} -mod=readonly -trimpath"

# build TOOL MODULE PACKAGE [LDFLAGS]: the binary of PACKAGE, at the version of MODULE in scripts/upstream/TOOL/go.mod
build() {
  local tool=$1 module=$2 package=$3 ldflags=${4:-}
  local dir=scripts/upstream/$tool
  local version hash out start
  version=$(awk -v m="$module" '$1 == m { print $2 } $1 == "require" && $2 == m { print $3 }' "$dir/go.mod" | head -1)
  hash=$( (cat "$dir/go.mod" "$dir/go.sum"; echo "$ldflags") | sha256sum | cut -c1-12)
  out=$cache/$tool-$version-$hash
  if [ ! -x "$out/$tool" ]; then
    echo "build-tools: building $tool $version (cold: minutes; cached in $out)"
    start=$(date +%s)
    (cd "$dir" && go build -ldflags="$ldflags" -o "$out/$tool.partial" "$package")
    mv "$out/$tool.partial" "$out/$tool"
    echo "build-tools: $tool built in $(($(date +%s) - start)) s"
  fi
  ln -sfn "$out/$tool" ".tools/bin/$tool"
  echo "$tool $version" > ".tools/bin/$tool.version"
  echo "build-tools: $tool $version -> .tools/bin/$tool"
}

started=$(date +%s)
build netpolicy github.com/np-guard/netpol-analyzer github.com/np-guard/netpol-analyzer/cmd/netpolicy
build etcd go.etcd.io/etcd/server/v3 .
build istioctl istio.io/istio istio.io/istio/istioctl/cmd/istioctl
build promtool github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/promtool
# kube-apiserver reports the release it was built from (what `make` would stamp from git)
build kube-apiserver k8s.io/kubernetes k8s.io/kubernetes/cmd/kube-apiserver \
  "-X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
echo "build-tools: all tools ready in $(($(date +%s) - started)) s"
