#!/usr/bin/env bash
# Install Debian's Chromium for the Playwright browser tests where this machine allows it.
# Under CI (CI=true) a browser that cannot be installed is an error; elsewhere the
# browser tests are skipped with a message saying why.
set -u
CHROMIUM=${PRACTICA_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
install_cmd=""
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    install_cmd="apt-get install -y -q chromium"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    install_cmd="sudo -n apt-get install -y -q chromium"
fi
if [ -n "$install_cmd" ]; then
    echo "Installing Debian's chromium for the browser tests..."
    $install_cmd >/tmp/practica-chromium-install.log 2>&1 \
        || { [ "$(id -u)" = "0" ] && apt-get update -q >/dev/null 2>&1 && $install_cmd >>/tmp/practica-chromium-install.log 2>&1; }
fi
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "${CI:-}" = "true" ]; then
    echo "Chromium is required under CI but could not be installed (see /tmp/practica-chromium-install.log)." >&2
    exit 1
fi
echo "Chromium is not installed and could not be installed here: browser tests will be skipped." >&2
exit 0
