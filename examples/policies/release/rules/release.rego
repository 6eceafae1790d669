# The input document is the one CEL reads: {statement, predicate, subject, report, evidence}.
package provenant.release

import rego.v1

# The same rule as the policy's CEL expression: the tag was protected when the
# job ran. GitLab puts ref_protected in the job's ID token; the provenance
# records it as buildDefinition.internalParameters.refProtected.
# A helper rule, so that provenance without the field makes the condition
# false and the deny fire (OPA leaves `not f(missing)` undefined).
built_from_protected_ref if input.predicate.buildDefinition.internalParameters.refProtected == true

deny contains "releases are built from a protected tag (GitLab ref_protected)" if not built_from_protected_ref
