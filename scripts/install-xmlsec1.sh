#!/usr/bin/env bash
# Install Debian's xmlsec1, with which the SAML sign-in tests' identity provider (pysaml2,
# tests/accounts/saml_idp) signs its answers, where this machine allows it. Under CI (CI=true)
# a program that cannot be installed is an error; elsewhere those tests are skipped with a
# message saying why. Practica itself does not need it (python3-saml uses the xmlsec binding).
set -u
if command -v xmlsec1 >/dev/null 2>&1; then
    exit 0
fi
install_cmd=""
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    install_cmd="apt-get install -y -q xmlsec1"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    install_cmd="sudo -n apt-get install -y -q xmlsec1"
fi
if [ -n "$install_cmd" ]; then
    echo "Installing Debian's xmlsec1 for the SAML sign-in tests..."
    $install_cmd >/tmp/practica-xmlsec1-install.log 2>&1 \
        || { [ "$(id -u)" = "0" ] && apt-get update -q >/dev/null 2>&1 && $install_cmd >>/tmp/practica-xmlsec1-install.log 2>&1; }
fi
if command -v xmlsec1 >/dev/null 2>&1; then
    exit 0
fi
if [ "${CI:-}" = "true" ]; then
    echo "xmlsec1 is required under CI but could not be installed (see /tmp/practica-xmlsec1-install.log)." >&2
    exit 1
fi
echo "xmlsec1 is not installed and could not be installed here: the SAML sign-in tests will be skipped." >&2
exit 0
