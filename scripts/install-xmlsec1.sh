#!/usr/bin/env bash
# Debian's xmlsec1, with which the SAML sign-in tests' identity provider (pysaml2,
# tests/accounts/saml_idp) signs its answers. Practica itself does not need it (python3-saml
# uses the xmlsec binding).
exec bash "$(dirname "$0")/install-debian-package.sh" xmlsec1 xmlsec1 "the SAML sign-in tests"
