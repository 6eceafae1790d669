import dev.provenant.jenkins.CommandLine

// provenantAttest: SLSA v1.0 provenance for this build's artifacts or images,
// signed with a key from Jenkins credentials — or, with server, built and
// signed by Provenant's signing service from the job's OpenID Connect id
// token — written as a Sigstore bundle, archived and, with push, stored
// beside each image in its registry.
// Options and defaults: provenantAttest.txt.
//
// Every value from the Jenkinsfile, the job or the checkout (subjects, image
// references, the bundle name, branch names in scmVars) reaches the shell
// only as an environment variable that the fixed script quotes
// ("$PROVENANT_ARG_3"), never as script text.

def call(Map config = [:]) {
    if (config.containsKey('server')) {
        return signedByService(config)
    }
    if (config.containsKey('credentialsId')) {
        error('provenantAttest: credentialsId (the OpenID Connect id token for the signing service) goes with server; ' +
                'to sign with a key of your own, give keyCredentialsId')
    }
    List known = ['subjects', 'keyCredentialsId', 'keyPasswordCredentialsId', 'bundle', 'cli', 'cliPath',
                  'idTokenCredentialsId', 'idTokenFileCredentialsId', 'tokenAudience', 'issuer', 'apiTokenCredentialsId',
                  'scmVars', 'archive', 'push', 'registryCredentialsId', 'insecureRegistry']
    List unknown = CommandLine.unknownOptions(config, known)
    if (unknown) {
        error("provenantAttest: unknown option(s) ${unknown.join(', ')}; expected some of ${known.join(', ')}")
    }
    Map flags = [push: CommandLine.flag(config.push, false), archive: CommandLine.flag(config.archive, true)]
    for (String name : ['push', 'archive']) {
        if (flags[name] == null) {
            error("provenantAttest: ${name} is '${config[name]}'; expected true or false")
        }
    }
    boolean push = flags.push
    if (!isUnix()) {
        error('provenantAttest: runs on Unix agents (it calls sh); use a Linux or macOS node')
    }
    List subjects = CommandLine.listOf(config.subjects)
    if (subjects.isEmpty()) {
        error("provenantAttest: subjects is required: files or globs to attest, e.g. subjects: 'dist/*.tgz'")
    }
    if (!config.keyCredentialsId) {
        error('provenantAttest: keyCredentialsId is required: the id of a Secret file credential holding the PEM private key')
    }
    if (config.cli && config.cliPath) {
        error('provenantAttest: give cli or cliPath, not both')
    }
    if (config.idTokenCredentialsId && config.idTokenFileCredentialsId) {
        error('provenantAttest: give idTokenCredentialsId or idTokenFileCredentialsId, not both')
    }
    List images = CommandLine.registryImages(subjects)
    if (push && images.isEmpty()) {
        error("provenantAttest: push needs an image subject to push beside, e.g. subjects: 'oci://registry.example.com/acme/app:1.0'")
    }
    String bundle = config.bundle ?: 'provenance.sigstore.json'

    List args = CommandLine.cli(config)
    args.addAll(['attest', '--platform', 'jenkins', '--bundle', bundle, '--json'])
    if (push) {
        args.add('--push')
    }
    args.addAll(CommandLine.insecureRegistryArguments(config.insecureRegistry))
    List credentials = [file(credentialsId: config.keyCredentialsId, variable: 'PROVENANT_KEY_FILE')]
    if (config.keyPasswordCredentialsId) {
        credentials.add(string(credentialsId: config.keyPasswordCredentialsId, variable: 'PROVENANT_KEY_PASSWORD'))
    }
    if (config.idTokenCredentialsId || config.idTokenFileCredentialsId) {
        // The OIDC Provider plugin's "OpenID Connect id token" credential binds
        // the token itself, its "… as file" kind a file path; the CLI takes either.
        credentials.add(config.idTokenCredentialsId
                ? string(credentialsId: config.idTokenCredentialsId, variable: 'PROVENANT_ID_TOKEN')
                : file(credentialsId: config.idTokenFileCredentialsId, variable: 'PROVENANT_ID_TOKEN'))
        args.addAll(['--token-variable', 'PROVENANT_ID_TOKEN'])
        if (config.tokenAudience) {
            args.addAll(['--token-audience', config.tokenAudience.toString()])
        }
    }
    if (config.apiTokenCredentialsId) {
        // jenkins-cli.jar's names for a user API token; provenant reads them
        // to record causes and parameters from <BUILD_URL>api/json.
        credentials.add(usernamePassword(credentialsId: config.apiTokenCredentialsId,
                usernameVariable: 'JENKINS_USER_ID', passwordVariable: 'JENKINS_API_TOKEN'))
    }

    if (config.registryCredentialsId) {
        credentials.add(usernamePassword(credentialsId: config.registryCredentialsId,
                usernameVariable: 'PROVENANT_REGISTRY_USERNAME', passwordVariable: 'PROVENANT_REGISTRY_PASSWORD'))
    }

    List environment = CommandLine.variables('PROVENANT_ARG_', args) +
            CommandLine.variables('PROVENANT_SUBJECT_', subjects) +
            CommandLine.scmVariables(config.scmVars)
    if (config.registryCredentialsId && !images.isEmpty()) {
        environment.add('PROVENANT_REGISTRY_HOSTS=' + CommandLine.registryHosts(images).join(','))
    }
    if (config.issuer) {
        environment.add('PROVENANT_JENKINS_OIDC_ISSUER=' + config.issuer)
    }
    // The CLI's --json report (subjects, what was pushed) goes to a file in
    // the workspace's @tmp directory rather than through returnStdout, so
    // that sh can still return the exit status.
    String resultFile = pwd(tmp: true) + '/' + CommandLine.resultFileName('provenant-attest-', bundle)
    environment.add('PROVENANT_RESULT_FILE=' + resultFile)
    String script = CommandLine.quoted('PROVENANT_ARG_', args.size()) + ' --key "$PROVENANT_KEY_FILE" -- ' +
            CommandLine.quoted('PROVENANT_SUBJECT_', subjects.size()) + ' > "$PROVENANT_RESULT_FILE"'

    int status = 0
    withEnv(environment) {
        withCredentials(credentials) {
            status = sh(label: 'provenant attest', script: script, returnStatus: true)
        }
    }
    if (status != 0) {
        error("provenantAttest: provenant attest failed with exit code ${status} (see its message above)")
    }
    Map result = CommandLine.attestResult(bundle, readFile(file: resultFile))
    if (result == null) {
        error('provenantAttest: provenant attest succeeded but printed no JSON report; expected the output of provenant attest --json')
    }
    echo(CommandLine.attestSummary(result))
    if (flags.archive) {
        archiveArtifacts(artifacts: bundle, fingerprint: true)
    }
    return result
}

/**
 * provenantAttest(server: URL, credentialsId: ID): the signing service at
 * server builds the provenance from the job's OpenID Connect id token (the
 * OIDC Provider plugin's credential, bound here with withCredentials and
 * handed to the CLI as a variable, never as script text) and signs it with a
 * key no build step can reach. Nothing here holds a key: when the service
 * cannot be reached or refuses, the step fails; it never signs otherwise.
 */
def signedByService(Map config) {
    List known = ['subjects', 'server', 'credentialsId', 'bundle', 'archive', 'cli', 'cliPath']
    List unknown = CommandLine.unknownOptions(config, known)
    if (unknown) {
        error("provenantAttest: with server, the service signs from the job's id token alone; " +
                "unknown or unusable option(s) ${unknown.join(', ')}; expected some of ${known.join(', ')}")
    }
    Boolean archive = CommandLine.flag(config.archive, true)
    if (archive == null) {
        error("provenantAttest: archive is '${config.archive}'; expected true or false")
    }
    if (!isUnix()) {
        error('provenantAttest: runs on Unix agents (it calls sh); use a Linux or macOS node')
    }
    String server = config.server ? config.server.toString() : ''
    if (!(server ==~ /https?:\/\/[^\s]+/)) {
        error("provenantAttest: server is '${server}'; expected the signing service's URL, e.g. server: 'https://provenant.example.com'")
    }
    if (!config.credentialsId) {
        error("provenantAttest: server needs credentialsId: the id of an OpenID Connect id token credential (OIDC Provider plugin) " +
                'whose audience the service accepts')
    }
    List subjects = CommandLine.listOf(config.subjects)
    if (subjects.isEmpty()) {
        error("provenantAttest: subjects is required: files or globs to attest, e.g. subjects: 'dist/*.tgz'")
    }
    if (config.cli && config.cliPath) {
        error('provenantAttest: give cli or cliPath, not both')
    }
    String bundle = config.bundle ?: 'provenance.sigstore.json'
    List args = CommandLine.cli(config)
    args.addAll(['attest', '--platform', 'jenkins', '--server', server, '--token-variable', 'PROVENANT_ID_TOKEN',
                 '--bundle', bundle, '--json'])
    List credentials = [string(credentialsId: config.credentialsId, variable: 'PROVENANT_ID_TOKEN')]
    String resultFile = pwd(tmp: true) + '/' + CommandLine.resultFileName('provenant-attest-', bundle)
    List environment = CommandLine.variables('PROVENANT_ARG_', args) +
            CommandLine.variables('PROVENANT_SUBJECT_', subjects) +
            ['PROVENANT_RESULT_FILE=' + resultFile]
    String script = CommandLine.quoted('PROVENANT_ARG_', args.size()) + ' -- ' +
            CommandLine.quoted('PROVENANT_SUBJECT_', subjects.size()) + ' > "$PROVENANT_RESULT_FILE"'

    int status = 0
    withEnv(environment) {
        withCredentials(credentials) {
            status = sh(label: 'provenant attest --server', script: script, returnStatus: true)
        }
    }
    if (status != 0) {
        error("provenantAttest: the signing service at ${server} did not sign (provenant attest --server exit code ${status}; " +
                'see its message above); nothing was signed with any other key')
    }
    Map result = CommandLine.serviceAttestResult(bundle, server, readFile(file: resultFile))
    if (result == null) {
        error('provenantAttest: provenant attest --server succeeded but printed no JSON report; expected the output of provenant attest --server --json')
    }
    echo("provenantAttest: the signing service at ${server} signed provenance for ${result.subjectCount} subject(s) " +
            "into ${bundle} (log index ${result.logIndex})")
    if (archive) {
        archiveArtifacts(artifacts: bundle, fingerprint: true)
    }
    return result
}
