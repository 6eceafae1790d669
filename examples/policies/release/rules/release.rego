# The input document is the one CEL reads: {statement, predicate, subject, report, evidence}.
package provenant.release

import rego.v1

# A helper rule, so that provenance without a recorded source makes the
# condition false and the deny fire (OPA leaves `not f(missing)` undefined).
built_from_release_tag if startswith(input.report.source.ref, "refs/tags/v")

deny contains "releases are built from a v* tag" if not built_from_release_tag
