#!/usr/bin/env bash
# One-command set-up of a fresh checkout: the pinned npm dependencies (which also builds
# dist/), and `prow-ops` on PATH (a link to bin/prow-ops.js in npm's global bin folder).
# The Pulumi CLI is not installed here: install it (https://www.pulumi.com/docs/iac/download-install/)
# or build the test bed's with `npm run testbed:setup`; prow-ops finds either.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci
npm link --ignore-scripts >/dev/null
echo "prow-ops $(prow-ops --version) is on PATH ($(command -v prow-ops)); try: prow-ops --help"
