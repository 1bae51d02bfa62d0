# Shared by the scripts: installs what a fresh Debian machine lacks to build the native-AOT binary.
# The .NET SDK itself is expected on the machine (see README); everything else comes from apt, NuGet or npm.

ensure_build_tools() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET 10 SDK (dotnet) is required and was not found on PATH." >&2
    exit 1
  fi
  # NativeAOT links with the system C toolchain (clang, or gcc when clang is absent).
  if ! command -v cc >/dev/null 2>&1 || ! command -v ld >/dev/null 2>&1; then
    apt_install build-essential
  fi
}

ensure_node() {
  # The conformance run installs the official SDK/CLI from npm and runs them with node.
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
}

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing $* with apt-get…" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}
