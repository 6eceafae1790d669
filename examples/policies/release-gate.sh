#!/usr/bin/env bash
# A deploy gate in flags only (no policy file): refuse anything that was not
# built from a v* release tag (>= 1.0.0) of one of acme's GitLab repositories on
# a GitLab-hosted runner, with provenance the signing service built and signed
# (SLSA Build L3). The full gate, with the protected-tag rule in CEL and Rego
# and the test and scan evidence, is release/policy.yaml:
#   provenant verify ARTIFACT --policy release/policy.yaml --bundle B --evidence T --evidence S
# Usage: release-gate.sh ARTIFACT BUNDLE SERVICE_PUBLIC_KEY
#   e.g. (from release/) ../release-gate.sh dist/app-1.4.0.tgz \
#          cases/evidence/provenance-release.sigstore.json keys/release-service.pub
set -euo pipefail
if [ "$#" -ne 3 ]; then
  echo "usage: release-gate.sh ARTIFACT BUNDLE SERVICE_PUBLIC_KEY" >&2
  exit 2
fi
artifact="$1" bundle="$2" key="$3"
exec provenant verify "$artifact" --bundle "$bundle" --service-key "$key" \
  --source-uri 'gitlab.example.com/acme/*' \
  --source-tag 'v*' \
  --source-versioned-tag '>=1.0.0' \
  --deny-self-hosted \
  --slsa-level 3
