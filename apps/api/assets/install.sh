#!/bin/sh
# Hostwire agent installer, served by the Hostwire server at @@SERVER@@/install.sh.
#
#   curl -fsSL @@SERVER@@/install.sh | sh -s -- --server @@SERVER@@ --token <enrollment token>
#   (as a user with sudo: ... | sudo sh -s -- --server @@SERVER@@ --token <enrollment token>)
#
# Downloads the hostwire-agent executable for this machine from the server, checks that SHA256SUMS is
# signed by the release key below (Ed25519, with OpenSSL 3) and that the executable matches it, installs
# it to --prefix, enrolls this host into --config (mode 0600), pinning the release key so that
# `hostwire-agent update` accepts only executables signed by it, and, where systemd runs and this is root,
# installs and starts the hardened hostwire-agent.service. Only https:// servers (or this machine over
# http://) unless --insecure-http. Run it again to upgrade: the binary is replaced atomically, the config
# is kept and the service restarted. It changes the owner or mode of no directory it did not create.
set -eu

SERVER='@@SERVER@@'
# The release public key (base64 of the raw Ed25519 key) of the server that served this script.
RELEASE_KEY='@@RELEASE_KEY@@'
TOKEN=''
PREFIX=''
CONFIG=''
SERVICE=1
INSECURE_HTTP=0
SKIP_SIGNATURE=0
SERVICE_USER='hostwire-agent'
STATE_DIR='/var/lib/hostwire-agent'
UNIT='/etc/systemd/system/hostwire-agent.service'

say() { printf 'hostwire: %s\n' "$*"; }
die() {
  printf 'hostwire: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<USAGE
Usage: install.sh [--token <enrollment token>] [options]

Options:
  --token <token>      one-time enrollment token from the Add-host dialog (needed unless already enrolled)
  --server <url>       Hostwire server (default: ${SERVER})
  --prefix <dir>       where to install hostwire-agent (default: /usr/local/bin, or ~/.local/bin as non-root)
  --config <path>      agent config file (default: /etc/hostwire/agent.json, or ~/.config/hostwire/agent.json)
  --no-service         do not install the systemd service; print the command that runs the agent
  --insecure-http      allow a plain http:// server that is not this machine (tokens travel in clear)
  --release-key <key>  the release public key to check and pin (default: the one this script came with)
  --insecure-skip-signature
                       install even where no OpenSSL 3 can check the signature of SHA256SUMS (the
                       checksum is still checked, and hostwire-agent update checks signatures itself)
  -h, --help           this help
USAGE
}

need_value() {
  [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --token) need_value "$1" $#; TOKEN=$2; shift 2 ;;
    --token=*) TOKEN=${1#*=}; shift ;;
    --server) need_value "$1" $#; SERVER=$2; shift 2 ;;
    --server=*) SERVER=${1#*=}; shift ;;
    --prefix) need_value "$1" $#; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --config) need_value "$1" $#; CONFIG=$2; shift 2 ;;
    --config=*) CONFIG=${1#*=}; shift ;;
    --no-service) SERVICE=0; shift ;;
    --insecure-http) INSECURE_HTTP=1; shift ;;
    --release-key) need_value "$1" $#; RELEASE_KEY=$2; shift 2 ;;
    --release-key=*) RELEASE_KEY=${1#*=}; shift ;;
    --insecure-skip-signature) SKIP_SIGNATURE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
done

SERVER=${SERVER%/}
case "$SERVER" in
  http://* | https://*) ;;
  *) die "--server must be an http:// or https:// URL, got: $SERVER" ;;
esac
case "$SERVER" in
  *[!A-Za-z0-9.:/_~%[\]-]*) die "--server must be a plain URL without credentials, query or spaces, got: $SERVER" ;;
esac

# The host of an http(s) URL: [v6] or the name/address before the port.
url_host() {
  rest=${1#*://}
  rest=${rest%%/*}
  case "$rest" in
    \[*) printf '%s]' "${rest%%]*}" ;;
    *) printf '%s' "${rest%%:*}" ;;
  esac
}

# This machine: localhost, [::1] or a 127.x.y.z address (digits and dots only, so not 127.0.0.1.example.com).
is_loopback() {
  case "$1" in
    localhost | '[::1]') return 0 ;;
    127.*)
      case "$1" in *[!0-9.]*) return 1 ;; esac
      return 0
      ;;
  esac
  return 1
}

case "$SERVER" in
  http://*)
    if ! is_loopback "$(url_host "$SERVER")"; then
      [ "$INSECURE_HTTP" -eq 1 ] ||
        die "$SERVER is plain http: the token, the agent's credentials and the executable would travel in clear. Use the https:// URL of the server, or pass --insecure-http to accept that."
      say "warning: --insecure-http: talking to $SERVER without TLS"
    fi
    ;;
esac

case "$RELEASE_KEY" in
  '') die "no release key: the server that served this script has no signed agent release (see docs/operations.md, \"Agent release key\"), and no --release-key was given" ;;
esac
case "$RELEASE_KEY" in
  *[!A-Za-z0-9+/=]*) die "--release-key must be a base64 Ed25519 public key (44 characters), got: $RELEASE_KEY" ;;
esac
[ "${#RELEASE_KEY}" -eq 44 ] || die "--release-key must be a base64 Ed25519 public key (44 characters), got: $RELEASE_KEY"

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
if [ "$IS_ROOT" -eq 1 ]; then
  : "${PREFIX:=/usr/local/bin}"
  : "${CONFIG:=/etc/hostwire/agent.json}"
else
  [ -n "${HOME:-}" ] || die "HOME is not set; pass --prefix and --config"
  : "${PREFIX:=$HOME/.local/bin}"
  : "${CONFIG:=$HOME/.config/hostwire/agent.json}"
  if [ "$SERVICE" -eq 1 ]; then
    say "not running as root: installing for this user only, without the system service"
    SERVICE=0
  fi
fi

[ "$(uname -s)" = Linux ] || die "the hostwire-agent executable is built for Linux only (this is $(uname -s))"
case "$(uname -m)" in
  x86_64 | amd64) ARCH=x64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) die "no hostwire-agent executable for the $(uname -m) architecture" ;;
esac
NAME="hostwire-agent-linux-$ARCH"

download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "curl or wget is needed to download the agent"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    die "sha256sum, shasum or openssl is needed to verify the download"
  fi
}

# OpenSSL 3 verifies Ed25519 over raw input (pkeyutl -rawin); 1.1 and LibreSSL cannot.
has_openssl3() {
  command -v openssl >/dev/null 2>&1 || return 1
  case "$(openssl version 2>/dev/null)" in
    'OpenSSL '[3-9].*) return 0 ;;
  esac
  return 1
}

VERIFY_SIGNATURE=1
if ! has_openssl3; then
  [ "$SKIP_SIGNATURE" -eq 1 ] ||
    die "OpenSSL 3 is needed to check the signature of SHA256SUMS (install the openssl package), or pass --insecure-skip-signature to rely on TLS alone for this install"
  say "warning: --insecure-skip-signature: no OpenSSL 3 here, the signature of SHA256SUMS is not checked"
  VERIFY_SIGNATURE=0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

say "downloading $NAME from $SERVER"
download "$SERVER/downloads/$NAME" "$TMP/$NAME" || die "download of $SERVER/downloads/$NAME failed"
download "$SERVER/downloads/SHA256SUMS" "$TMP/SHA256SUMS" || die "download of $SERVER/downloads/SHA256SUMS failed"
if [ "$VERIFY_SIGNATURE" -eq 1 ]; then
  download "$SERVER/downloads/SHA256SUMS.sig" "$TMP/SHA256SUMS.sig" ||
    die "download of $SERVER/downloads/SHA256SUMS.sig failed: the release is not signed, not installed"
  # The SPKI form of an Ed25519 key is a fixed 12-byte header (MCowBQYDK2VwAyEA in base64) and the key.
  printf '%s\n' '-----BEGIN PUBLIC KEY-----' "MCowBQYDK2VwAyEA$RELEASE_KEY" '-----END PUBLIC KEY-----' >"$TMP/release-key.pem"
  openssl pkeyutl -verify -pubin -inkey "$TMP/release-key.pem" -rawin -in "$TMP/SHA256SUMS" \
    -sigfile "$TMP/SHA256SUMS.sig" >/dev/null 2>&1 ||
    die "SHA256SUMS from $SERVER is not signed by the release key $RELEASE_KEY: not installed"
  say "signature of SHA256SUMS verified (release key $RELEASE_KEY)"
fi
EXPECTED=$(grep " $NAME\$" "$TMP/SHA256SUMS" | cut -d ' ' -f 1 | head -n 1)
[ -n "$EXPECTED" ] || die "SHA256SUMS on the server has no entry for $NAME"
ACTUAL=$(sha256_of "$TMP/$NAME")
[ "$EXPECTED" = "$ACTUAL" ] || die "checksum mismatch for $NAME (expected $EXPECTED, got $ACTUAL): not installed"
say "checksum verified ($ACTUAL)"

BIN="$PREFIX/hostwire-agent"
mkdir -p "$PREFIX"
cp "$TMP/$NAME" "$PREFIX/.hostwire-agent.new"
chmod 0755 "$PREFIX/.hostwire-agent.new"
UPGRADED=0
[ -e "$BIN" ] && UPGRADED=1
mv -f "$PREFIX/.hostwire-agent.new" "$BIN"
if [ "$UPGRADED" -eq 1 ]; then
  say "upgraded $BIN to $("$BIN" --version)"
else
  say "installed $BIN $("$BIN" --version)"
fi

# The config's directory: created here (mode 0700, later owned by the service user) only when missing;
# an existing one (/etc, a home directory) keeps its owner and mode.
CONFIG_DIR=$(dirname "$CONFIG")
CREATED_CONFIG_DIR=0
if [ ! -d "$CONFIG_DIR" ]; then
  mkdir -p "$CONFIG_DIR"
  chmod 0700 "$CONFIG_DIR"
  CREATED_CONFIG_DIR=1
fi

if [ -f "$CONFIG" ]; then
  say "keeping the existing config $CONFIG (already enrolled)"
  "$BIN" pin-release-key --release-key "$RELEASE_KEY" --config "$CONFIG"
else
  [ -n "$TOKEN" ] || die "no config at $CONFIG yet: pass --token <enrollment token> to enroll this host"
  set -- enroll --server "$SERVER" --token "$TOKEN" --config "$CONFIG" --release-key "$RELEASE_KEY"
  [ "$INSECURE_HTTP" -eq 1 ] && set -- "$@" --insecure-http
  [ "$SERVICE" -eq 1 ] && set -- "$@" --state-dir "$STATE_DIR"
  "$BIN" "$@"
fi

HAS_SYSTEMD=0
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  HAS_SYSTEMD=1
fi

if [ "$SERVICE" -eq 0 ] || [ "$HAS_SYSTEMD" -eq 0 ]; then
  [ "$SERVICE" -eq 1 ] && say "systemd is not running here: no service installed"
  say "start the agent with: $BIN run --config $CONFIG"
  exit 0
fi

if ! id "$SERVICE_USER" >/dev/null 2>&1; then
  if command -v useradd >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir "$STATE_DIR" --shell /usr/sbin/nologin "$SERVICE_USER"
  else
    adduser -S -D -H -h "$STATE_DIR" -s /sbin/nologin "$SERVICE_USER"
  fi
  say "created the system user $SERVICE_USER"
fi
GROUPS_ADDED=''
for group in systemd-journal adm docker; do
  if getent group "$group" >/dev/null 2>&1; then
    usermod -a -G "$group" "$SERVICE_USER" 2>/dev/null || addgroup "$SERVICE_USER" "$group" 2>/dev/null || true
    GROUPS_ADDED="$GROUPS_ADDED $group"
  fi
done
[ -n "$GROUPS_ADDED" ] && say "$SERVICE_USER reads logs through the groups:$GROUPS_ADDED"

chown "$SERVICE_USER:" "$CONFIG"
chmod 0600 "$CONFIG"
if [ "$CREATED_CONFIG_DIR" -eq 1 ]; then
  chown "$SERVICE_USER:" "$CONFIG_DIR"
fi

cat >"$UNIT.tmp" <<UNITFILE
# Written by the Hostwire installer ($SERVER/install.sh); running it again rewrites this file.
# Actions that need root (restarting services, rebooting) need a sudoers rule for $SERVICE_USER, or
# User=root and NoNewPrivileges=no here: see docs/agent.md, "Running as a service".
[Unit]
Description=Hostwire agent
Documentation=$SERVER
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$SERVICE_USER
Group=$SERVICE_USER
ExecStart=$BIN run --config $CONFIG
Restart=always
RestartSec=5
StateDirectory=hostwire-agent
StateDirectoryMode=0700
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
CapabilityBoundingSet=
AmbientCapabilities=

[Install]
WantedBy=multi-user.target
UNITFILE
mv -f "$UNIT.tmp" "$UNIT"
systemctl daemon-reload
systemctl enable hostwire-agent.service >/dev/null 2>&1
systemctl restart hostwire-agent.service
say "installed and started hostwire-agent.service ($UNIT)"
say "check it with: systemctl status hostwire-agent; $BIN status --config $CONFIG"
