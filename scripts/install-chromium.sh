#!/usr/bin/env bash
# Debian's Chromium for the Playwright browser tests (playwright install cannot download here).
exec bash "$(dirname "$0")/install-debian-package.sh" chromium \
    "${PRACTICA_CHROMIUM:-/usr/bin/chromium}" "the browser tests"
