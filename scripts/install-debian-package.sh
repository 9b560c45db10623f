#!/usr/bin/env bash
# Install a Debian package a group of tests needs, where this machine allows it (root or
# password-less sudo with apt-get). Under CI (CI=true) a package that cannot be installed is an
# error; elsewhere those tests are skipped with a message saying why.
#
#   scripts/install-debian-package.sh PACKAGE PROGRAM PURPOSE
#
# PROGRAM is the command (or absolute path) the tests look for; PURPOSE names them in messages.
set -u
package=$1 program=$2 purpose=$3
log=/tmp/practica-${package}-install.log
present() { [ -x "$program" ] || command -v "$program" >/dev/null 2>&1; }
if present; then
    exit 0
fi
install_cmd=""
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    install_cmd="apt-get install -y -q $package"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    install_cmd="sudo -n apt-get install -y -q $package"
fi
if [ -n "$install_cmd" ]; then
    echo "Installing Debian's $package for $purpose..."
    $install_cmd >"$log" 2>&1 \
        || { [ "$(id -u)" = "0" ] && apt-get update -q >/dev/null 2>&1 && $install_cmd >>"$log" 2>&1; }
fi
if present; then
    exit 0
fi
if [ "${CI:-}" = "true" ]; then
    echo "$package is required under CI but could not be installed (see $log)." >&2
    exit 1
fi
echo "$package is not installed and could not be installed here: $purpose will be skipped." >&2
exit 0
