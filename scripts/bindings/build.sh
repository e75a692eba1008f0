#!/usr/bin/env bash
# Builds the Python wheel, the Java jar and the Go module of the library, then the apps of test/bindings/ (the
# hybrid-production and fintech perimeters in Python, Java and Go) against them, and writes a launcher for each
# into .bindings/bin/, which test/bindings/ runs (`npx projen bindings` compiles first and runs that test after):
#   bindings  projen's package:python, package:java and package:go (jsii-pacmak) into dist/<language>/, skipped
#             while dist/<language>/ was built from the same compiled library (.jsii, lib/) and jsii-pacmak
#   python    a virtualenv in .bindings/python/ with test/bindings/python/requirements.txt (pinned) and the wheel
#   java      `mvn compile` of test/bindings/java/ with the jar installed into the local Maven repository
#   go        `go build` of test/bindings/go/, whose go.mod replaces the library's module with dist/go/
# Caches, kept between runs and outside the clone: ~/.m2, Go's build and module caches, and in
# ${XDG_CACHE_HOME:-~/.cache}/cdk8s-mesh-perimeter/bindings/ the Python wheels and the cdk8s-plus-30 jar (below).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

missing=()
command -v python3 > /dev/null || missing+=("python3 (>= 3.10)")
command -v java > /dev/null || missing+=("java (>= 17)")
command -v mvn > /dev/null || missing+=("mvn")
command -v go > /dev/null || missing+=("go (>= 1.25)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "bindings: missing ${missing[*]}: the Python, Java and Go apps cannot be built here" >&2
  exit 1
fi
[ -f .jsii ] && [ -f lib/index.js ] || { echo "bindings: no compiled library (.jsii, lib/): run \`npx projen bindings\` (it compiles first)" >&2; exit 1; }

cache=${MESH_PERIMETER_BINDINGS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk8s-mesh-perimeter/bindings}
out=$root/.bindings
mkdir -p "$out/bin" "$cache"
version=$(node -p 'require("./package.json").version')
started=$(date +%s)

step() {
  local name=$1 start
  shift
  start=$(date +%s)
  "$@"
  echo "bindings: $name ready in $(($(date +%s) - start)) s"
}

# ---- The bindings: jsii-pacmak, through projen's package tasks ----
pacmak() {
  local key target
  key=$( (cat .jsii package.json; find lib -type f | LC_ALL=C sort | xargs cat; node -p 'require("jsii-pacmak/package.json").version') \
    | sha256sum | cut -c1-16)
  for target in python java go; do
    if [ "$(cat "dist/$target/.built-from" 2> /dev/null)" = "$key" ]; then
      echo "bindings: dist/$target was built from this compiled library: kept"
      continue
    fi
    rm -rf "dist/$target"
    npx projen "package:$target"
    echo "$key" > "dist/$target/.built-from"
  done
}

# ---- Python: the wheels of requirements.txt are downloaded once per machine into a wheelhouse in the cache (the
# registry's answers are not kept by pip's own HTTP cache); the clone's venv is made from it without the network and
# reused while requirements.txt and the interpreter stay the same; the library's wheel is reinstalled every run
python_app() {
  local venv=$out/python/venv stamp key wheels
  key=$( (cat test/bindings/python/requirements.txt; python3 --version) | sha256sum | cut -c1-16)
  wheels=$cache/python-wheels-$key
  if [ ! -f "$wheels/.complete" ]; then
    rm -rf "$wheels"
    python3 -m pip download --quiet --disable-pip-version-check --only-binary=:all: --dest "$wheels" -r test/bindings/python/requirements.txt
    touch "$wheels/.complete"
  fi
  stamp=$out/python/requirements.sha
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2> /dev/null)" != "$key" ]; then
    rm -rf "$out/python"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-index --find-links "$wheels" -r test/bindings/python/requirements.txt
    echo "$key" > "$stamp"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall dist/python/cdk8s_mesh_perimeter-"$version"-py3-none-any.whl
  cat > "$out/bin/python-app" << EOF
#!/usr/bin/env bash
# the Python app of test/bindings/python (written by scripts/bindings/build.sh)
PYTHONDONTWRITEBYTECODE=1 exec "$venv/bin/python" "$root/test/bindings/python/main.py" "\$@"
EOF
  chmod +x "$out/bin/python-app"
}

# ---- Java ----
# cdk8s-plus-30 is not served by the Maven Central mirror this project's machines reach. When Maven cannot
# resolve it, the jar is built once per machine as its publisher builds it: jsii-pacmak on the npm package's
# assembly (node_modules/cdk8s-plus-30, the same version), then installed into the local Maven repository.
kplus_jar() {
  local v built
  v=$(node -p 'require("cdk8s-plus-30/package.json").version')
  grep -q "<artifactId>cdk8s-plus-30</artifactId>" test/bindings/java/pom.xml
  grep -A1 "<artifactId>cdk8s-plus-30</artifactId>" test/bindings/java/pom.xml | grep -q "<version>$v</version>" \
    || { echo "bindings: test/bindings/java/pom.xml must pin cdk8s-plus-30 $v (the npm version)" >&2; return 1; }
  [ -f "$HOME/.m2/repository/org/cdk8s/cdk8s-plus-30/$v/cdk8s-plus-30-$v.jar" ] && return 0
  if mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get -Dartifact="org.cdk8s:cdk8s-plus-30:$v" -Dtransitive=false > /dev/null 2>&1; then
    return 0
  fi
  built=$cache/cdk8s-plus-30-$v-java/java/org/cdk8s/cdk8s-plus-30/$v
  if [ ! -f "$built/cdk8s-plus-30-$v.jar" ]; then
    echo "bindings: org.cdk8s:cdk8s-plus-30:$v is not on Maven Central here: building it with jsii-pacmak from node_modules/cdk8s-plus-30 (once; cached in $cache)"
    rm -rf "$cache/cdk8s-plus-30-$v-java"
    npx jsii-pacmak --target java --no-parallel --outdir "$cache/cdk8s-plus-30-$v-java" node_modules/cdk8s-plus-30
  fi
  mvn -q -B org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file -Dfile="$built/cdk8s-plus-30-$v.jar" -DpomFile="$built/cdk8s-plus-30-$v.pom"
}

java_app() {
  local lib=dist/java/dev/meshperimeter/cdk8s-mesh-perimeter/$version
  kplus_jar
  # the library's jar as jsii-pacmak built it, into the local Maven repository (replacing an older build)
  mvn -q -B org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file \
    -Dfile="$lib/cdk8s-mesh-perimeter-$version.jar" -DpomFile="$lib/cdk8s-mesh-perimeter-$version.pom"
  (cd test/bindings/java && mvn -q -B compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)
  cat > "$out/bin/java-app" << EOF
#!/usr/bin/env bash
# the Java app of test/bindings/java (written by scripts/bindings/build.sh)
exec java -cp "$root/test/bindings/java/target/classes:\$(cat "$root/test/bindings/java/target/classpath.txt")" dev.meshperimeter.examples.Main "\$@"
EOF
  chmod +x "$out/bin/java-app"
}

# ---- Go: go.mod and go.sum pin every module; nothing is resolved anew ----
go_app() {
  (cd test/bindings/go && GOFLAGS="${GOFLAGS:-} -mod=readonly" go build -o "$out/bin/go-app" .)
}

step "bindings (jsii-pacmak)" pacmak
step python python_app
step java java_app
step go go_app
# the sources the bindings were built from: test/bindings/ refuses launchers built from other sources
node scripts/bindings/fingerprint.mjs > "$out/fingerprint"
echo "bindings: .bindings/bin/{python,java,go}-app built in $(($(date +%s) - started)) s"
