import dev.provenant.jenkins.CommandLine

// provenantVerify: checks provenance against trusted public keys and a policy
// (builder, source, branch or tag, SLSA level) — a Sigstore bundle for
// artifacts, or the attestations stored beside an image in its registry —
// or, with policy, against a policy file (provenant verify --policy), and
// fails the build when it does not verify. Options: provenantVerify.txt.
//
// Like provenantAttest, values reach the shell only through environment
// variables that the fixed script quotes.

def call(Map config = [:]) {
    if (config.containsKey('policy')) {
        return verifiedByPolicy(config)
    }
    List known = ['serviceKey', 'artifacts', 'bundle', 'image', 'publicKey', 'publicKeyCredentialsId', 'builderId', 'buildType',
                  'sourceUri', 'sourceBranch', 'sourceTag', 'sourceVersionedTag', 'slsaLevel', 'registryCredentialsId',
                  'insecureRegistry', 'cli', 'cliPath', 'allowAnySource']
    List unknown = CommandLine.unknownOptions(config, known)
    if (unknown) {
        error("provenantVerify: unknown option(s) ${unknown.join(', ')}; expected some of ${known.join(', ')}")
    }
    if (!isUnix()) {
        error('provenantVerify: runs on Unix agents (it calls sh); use a Linux or macOS node')
    }
    List artifacts = CommandLine.listOf(config.artifacts)
    String image = config.image ? config.image.toString() : ''
    if (image && (!artifacts.isEmpty() || config.bundle)) {
        error('provenantVerify: image verifies what the registry stores beside it; give image without artifacts or bundle')
    }
    if (!image && artifacts.isEmpty()) {
        error("provenantVerify: artifacts or image is required: the files whose provenance to check, e.g. artifacts: 'dist/app.tgz', " +
                "or an image in a registry, e.g. image: 'registry.example.com/acme/app@sha256:…'")
    }
    if (!config.publicKey && !config.publicKeyCredentialsId && !config.serviceKey) {
        error('provenantVerify: give publicKey (a PEM file in the workspace), publicKeyCredentialsId (a Secret file credential), ' +
                "serviceKey (the signing service's public key) or policy (a policy file)")
    }
    if (config.cli && config.cliPath) {
        error('provenantVerify: give cli or cliPath, not both')
    }
    String bundle = config.bundle ?: 'provenance.sigstore.json'

    List args = CommandLine.cli(config)
    args.addAll(image ? ['verify', '--image', image] : ['verify', '--bundle', bundle])
    args.addAll(CommandLine.insecureRegistryArguments(config.insecureRegistry))
    if (config.publicKey) {
        args.addAll(['--key', config.publicKey.toString()])
    }
    if (config.serviceKey) {
        // Only the signing service's signatures can support SLSA Build L3.
        args.addAll(['--service-key', config.serviceKey.toString()])
    }
    Map flags = [builderId: '--builder-id', buildType: '--build-type', sourceUri: '--source-uri',
                 sourceBranch: '--source-branch', sourceTag: '--source-tag',
                 sourceVersionedTag: '--source-versioned-tag', slsaLevel: '--slsa-level']
    for (String name : ['builderId', 'buildType', 'sourceUri', 'sourceBranch', 'sourceTag', 'sourceVersionedTag', 'slsaLevel']) {
        if (config[name] != null && config[name].toString() != '') {
            args.addAll([flags[name], config[name].toString()])
        }
    }

    // provenant verify refuses to run without sourceUri or builderId (a key
    // that signs for many repositories would vouch for all of them) unless
    // this is said on purpose.
    if (config.allowAnySource == true) {
        args.add('--allow-any-source')
    }
    List environment = CommandLine.variables('PROVENANT_ARG_', args) +
            CommandLine.variables('PROVENANT_ARTIFACT_', artifacts)
    List credentials = []
    if (config.publicKeyCredentialsId) {
        credentials.add(file(credentialsId: config.publicKeyCredentialsId, variable: 'PROVENANT_PUBLIC_KEY_FILE'))
    }
    if (config.registryCredentialsId) {
        credentials.add(usernamePassword(credentialsId: config.registryCredentialsId,
                usernameVariable: 'PROVENANT_REGISTRY_USERNAME', passwordVariable: 'PROVENANT_REGISTRY_PASSWORD'))
        if (image) {
            environment.add('PROVENANT_REGISTRY_HOSTS=' + CommandLine.registryHosts([image]).join(','))
        }
    }
    String keyFromCredentials = config.publicKeyCredentialsId ? ' --key "$PROVENANT_PUBLIC_KEY_FILE"' : ''
    String script = CommandLine.quoted('PROVENANT_ARG_', args.size()) + keyFromCredentials +
            (artifacts.isEmpty() ? '' : ' -- ' + CommandLine.quoted('PROVENANT_ARTIFACT_', artifacts.size()))

    int status = 0
    withEnv(environment) {
        if (credentials) {
            withCredentials(credentials) {
                status = sh(label: 'provenant verify', script: script, returnStatus: true)
            }
        } else {
            status = sh(label: 'provenant verify', script: script, returnStatus: true)
        }
    }
    String what = image ?: "${bundle} for ${artifacts.join(', ')}"
    if (status == 1) {
        error("provenantVerify: ${what} does not verify (see the report above)")
    }
    if (status != 0) {
        error("provenantVerify: provenant verify could not run (exit code ${status}; see its message above)")
    }
    return true
}

/**
 * provenantVerify(policy: FILE, artifacts: … | image: …): the policy file
 * carries the trusted keys and every rule, so no key or rule option goes with
 * it. With artifacts the evidence is the bundle and evidence files; with image
 * it is what the registry stores beside the image (plus any evidence files),
 * and the image is the artifact the rules match. The CLI prints each rule's
 * decision (pass, fail or not applicable, with the reason) to the console, and
 * exits 1 when the policy denies.
 */
def verifiedByPolicy(Map config) {
    List known = ['policy', 'artifacts', 'bundle', 'image', 'evidence', 'registryCredentialsId', 'insecureRegistry', 'cli', 'cliPath']
    List unknown = CommandLine.unknownOptions(config, known)
    if (unknown) {
        error("provenantVerify: with policy, the policy file names the trusted keys and the rules; " +
                "unknown or unusable option(s) ${unknown.join(', ')}; expected some of ${known.join(', ')}")
    }
    if (!isUnix()) {
        error('provenantVerify: runs on Unix agents (it calls sh); use a Linux or macOS node')
    }
    String policy = config.policy ? config.policy.toString() : ''
    if (!policy) {
        error("provenantVerify: policy is empty; expected a policy file in the workspace, e.g. policy: 'policies/release.yaml'")
    }
    List artifacts = CommandLine.listOf(config.artifacts)
    String image = config.image ? config.image.toString() : ''
    if (image && (!artifacts.isEmpty() || config.bundle)) {
        error('provenantVerify: image is the artifact, its evidence what the registry stores beside it; give image without artifacts or bundle')
    }
    if (!image && artifacts.isEmpty()) {
        error("provenantVerify: policy needs artifacts or image: the files whose provenance to check, e.g. artifacts: 'dist/app.tgz', " +
                "or an image in a registry, e.g. image: 'registry.example.com/acme/app@sha256:…'")
    }
    if (config.cli && config.cliPath) {
        error('provenantVerify: give cli or cliPath, not both')
    }
    String bundle = config.bundle ?: 'provenance.sigstore.json'
    List args = CommandLine.cli(config)
    args.addAll(image ? ['verify', '--policy', policy, '--image', image] : ['verify', '--policy', policy, '--bundle', bundle])
    args.addAll(CommandLine.insecureRegistryArguments(config.insecureRegistry))
    List evidence = CommandLine.listOf(config.evidence)
    for (int i = 0; i < evidence.size(); i++) {
        args.addAll(['--evidence', evidence[i]])
    }
    List environment = CommandLine.variables('PROVENANT_ARG_', args) +
            CommandLine.variables('PROVENANT_ARTIFACT_', artifacts)
    List credentials = []
    if (config.registryCredentialsId) {
        credentials.add(usernamePassword(credentialsId: config.registryCredentialsId,
                usernameVariable: 'PROVENANT_REGISTRY_USERNAME', passwordVariable: 'PROVENANT_REGISTRY_PASSWORD'))
        if (image) {
            environment.add('PROVENANT_REGISTRY_HOSTS=' + CommandLine.registryHosts([image]).join(','))
        }
    }
    String script = CommandLine.quoted('PROVENANT_ARG_', args.size()) +
            (artifacts.isEmpty() ? '' : ' -- ' + CommandLine.quoted('PROVENANT_ARTIFACT_', artifacts.size()))
    int status = 0
    withEnv(environment) {
        if (credentials) {
            withCredentials(credentials) {
                status = sh(label: 'provenant verify --policy', script: script, returnStatus: true)
            }
        } else {
            status = sh(label: 'provenant verify --policy', script: script, returnStatus: true)
        }
    }
    String what = image ?: artifacts.join(', ')
    if (status == 1) {
        error("provenantVerify: ${what} denied by policy ${policy} (see each rule's decision above)")
    }
    if (status != 0) {
        error("provenantVerify: provenant verify --policy could not run (exit code ${status}; see its message above)")
    }
    return true
}
