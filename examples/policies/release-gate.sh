#!/usr/bin/env bash
# A deploy gate: refuse anything that was not built from a release tag of one of
# acme's repositories by a hosted CI platform with token-verified facts (SLSA Build L2).
# Usage: release-gate.sh ARTIFACT BUNDLE PUBLIC_KEY
set -euo pipefail
artifact="$1" bundle="$2" key="$3"
exec provenant verify "$artifact" --bundle "$bundle" --key "$key" \
  --source-uri 'git.example.com/acme/*' \
  --source-versioned-tag '>=1.0.0' \
  --slsa-level 2
