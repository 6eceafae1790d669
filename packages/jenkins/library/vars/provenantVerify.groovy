import dev.provenant.jenkins.CommandLine

// provenantVerify: checks a Sigstore bundle against trusted public keys, the
// artifacts and a policy (builder, source, branch or tag, SLSA level), and
// fails the build when it does not verify. Options: provenantVerify.txt.
//
// Like provenantAttest, values reach the shell only through environment
// variables that the fixed script quotes.

def call(Map config = [:]) {
    List known = ['artifacts', 'bundle', 'publicKey', 'publicKeyCredentialsId', 'builderId', 'buildType', 'sourceUri',
                  'sourceBranch', 'sourceTag', 'sourceVersionedTag', 'slsaLevel', 'cli', 'cliPath']
    List unknown = CommandLine.unknownOptions(config, known)
    if (unknown) {
        error("provenantVerify: unknown option(s) ${unknown.join(', ')}; expected some of ${known.join(', ')}")
    }
    if (!isUnix()) {
        error('provenantVerify: runs on Unix agents (it calls sh); use a Linux or macOS node')
    }
    List artifacts = CommandLine.listOf(config.artifacts)
    if (artifacts.isEmpty()) {
        error("provenantVerify: artifacts is required: the files whose provenance to check, e.g. artifacts: 'dist/app.tgz'")
    }
    if (!config.publicKey && !config.publicKeyCredentialsId) {
        error('provenantVerify: give publicKey (a PEM file in the workspace) or publicKeyCredentialsId (a Secret file credential)')
    }
    if (config.cli && config.cliPath) {
        error('provenantVerify: give cli or cliPath, not both')
    }
    String bundle = config.bundle ?: 'provenance.sigstore.json'

    List args = CommandLine.cli(config)
    args.addAll(['verify', '--bundle', bundle])
    if (config.publicKey) {
        args.addAll(['--key', config.publicKey.toString()])
    }
    Map flags = [builderId: '--builder-id', buildType: '--build-type', sourceUri: '--source-uri',
                 sourceBranch: '--source-branch', sourceTag: '--source-tag',
                 sourceVersionedTag: '--source-versioned-tag', slsaLevel: '--slsa-level']
    for (String name : ['builderId', 'buildType', 'sourceUri', 'sourceBranch', 'sourceTag', 'sourceVersionedTag', 'slsaLevel']) {
        if (config[name] != null && config[name].toString() != '') {
            args.addAll([flags[name], config[name].toString()])
        }
    }

    List environment = CommandLine.variables('PROVENANT_ARG_', args) +
            CommandLine.variables('PROVENANT_ARTIFACT_', artifacts)
    String keyFromCredentials = config.publicKeyCredentialsId ? ' --key "$PROVENANT_PUBLIC_KEY_FILE"' : ''
    String script = CommandLine.quoted('PROVENANT_ARG_', args.size()) + keyFromCredentials + ' -- ' +
            CommandLine.quoted('PROVENANT_ARTIFACT_', artifacts.size())

    int status = 0
    withEnv(environment) {
        if (config.publicKeyCredentialsId) {
            withCredentials([file(credentialsId: config.publicKeyCredentialsId, variable: 'PROVENANT_PUBLIC_KEY_FILE')]) {
                status = sh(label: 'provenant verify', script: script, returnStatus: true)
            }
        } else {
            status = sh(label: 'provenant verify', script: script, returnStatus: true)
        }
    }
    if (status == 1) {
        error("provenantVerify: ${bundle} does not verify for ${artifacts.join(', ')} (see the report above)")
    }
    if (status != 0) {
        error("provenantVerify: provenant verify could not run (exit code ${status}; see its message above)")
    }
    return true
}
