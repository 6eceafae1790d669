package dev.provenant.jenkins

import groovy.json.JsonSlurperClassic

/**
 * Builds the provenant command line for the library's steps so that no value
 * is ever part of a shell script: each argument goes into an environment
 * variable (PROVENANT_ARG_0, PROVENANT_ARG_1, …) and the script only names
 * them, double-quoted, so sh neither splits, globs nor substitutes them.
 */
class CommandLine implements Serializable {

    /** Options a step accepts as a single value or a list; always a list of strings. */
    static List listOf(value) {
        List result = []
        if (value instanceof List) {
            for (int i = 0; i < value.size(); i++) {
                result.add(value[i].toString())
            }
        } else if (value) {
            result.add(value.toString())
        }
        return result
    }

    /**
     * The CLI as argv: cliPath runs the single-file provenant.mjs with node;
     * cli is a command ('provenant', 'npx --yes @provenant/cli') or a list.
     */
    static List cli(Map config) {
        if (config.cliPath) {
            return ['node', config.cliPath.toString()]
        }
        if (config.cli instanceof List) {
            return listOf(config.cli)
        }
        if (config.cli) {
            return config.cli.toString().tokenize(' ')
        }
        return ['provenant']
    }

    /**
     * ['PREFIX0=value', …] for withEnv, values as they are. A `$HOME` or
     * `${SECRET}` in a branch name reaches the CLI literally, because no layer
     * expands it: withEnv (workflow-basic-steps EnvStep) installs its map with
     * EnvironmentExpander.constant, i.e. EnvVars.overrideAll, which never
     * expands; the one expansion on the way, Launcher.inherit's
     * EnvVars.overrideExpandingAll (Util.replaceMacro: `$NAME`, `${NAME}`,
     * `$$` for `$`), is undone by durable-task, which doubles every `$` in the
     * environment of `sh` before launching it (FileMonitoringTask.escape,
     * JENKINS-40734, durable-task 1.13). So escaping `$` here would hand the
     * CLI `$$HOME`. An empty value unsets the variable (EnvVars.override),
     * which the quoted "$PREFIX0" still turns into an empty argument.
     */
    static List variables(String prefix, List values) {
        List result = []
        for (int i = 0; i < values.size(); i++) {
            result.add(prefix + i + '=' + values[i])
        }
        return result
    }

    /** '"$PREFIX0" "$PREFIX1"': names only, never values. */
    static String quoted(String prefix, int count) {
        List words = []
        for (int i = 0; i < count; i++) {
            words.add('"$' + prefix + i + '"')
        }
        return words.join(' ')
    }

    /**
     * `checkout scm` returns the Git plugin's variables, which scripted
     * pipelines do not put in the environment: pass those on, nothing else.
     */
    static List scmVariables(scmVars) {
        List result = []
        if (!(scmVars instanceof Map)) {
            return result
        }
        for (String name : ['GIT_URL', 'GIT_COMMIT', 'GIT_BRANCH', 'GIT_LOCAL_BRANCH']) {
            if (scmVars[name]) {
                result.add(name + '=' + scmVars[name])
            }
        }
        return result
    }

    /** The arguments that name images in a registry: `oci://…` (attest's subjects). */
    static List registryImages(List arguments) {
        List result = []
        for (int i = 0; i < arguments.size(); i++) {
            if (arguments[i].toString().startsWith('oci://')) {
                result.add(arguments[i].toString())
            }
        }
        return result
    }

    /**
     * The registry hosts of image references (`oci://` optional), read the way
     * docker reads a name: a first component with a '.' or ':', or
     * 'localhost', is the host; anything else is on Docker Hub. The CLI sends
     * PROVENANT_REGISTRY_USERNAME/_PASSWORD only to the hosts listed in
     * PROVENANT_REGISTRY_HOSTS, so a bound registry credential goes nowhere else.
     */
    static List registryHosts(List images) {
        List hosts = []
        for (int i = 0; i < images.size(); i++) {
            String name = images[i].toString()
            if (name.startsWith('oci://')) {
                name = name.substring('oci://'.length())
            }
            int slash = name.indexOf('/')
            String first = slash < 0 ? '' : name.substring(0, slash)
            String host = (first.contains('.') || first.contains(':') || first == 'localhost') ? first.toLowerCase() : 'docker.io'
            if (!hosts.contains(host)) {
                hosts.add(host)
            }
        }
        return hosts
    }

    /** `--insecure-registry HOST` for each host (one or a list) allowed plain HTTP. */
    static List insecureRegistryArguments(value) {
        List result = []
        List hosts = listOf(value)
        for (int i = 0; i < hosts.size(); i++) {
            result.addAll(['--insecure-registry', hosts[i]])
        }
        return result
    }

    /**
     * A file name for a step's report, one per bundle so that two attest
     * steps in one workspace (parallel branches) do not share it.
     */
    static String resultFileName(String prefix, String bundle) {
        return prefix + bundle.replaceAll('[^A-Za-z0-9._-]', '_') + '.report.json'
    }

    /**
     * What provenantAttest returns, from `provenant attest --json`: the bundle
     * as the step was given it, the signing key id, the in-toto subjects
     * ([name:, digest: [sha256:]]) and, with push, one [image:, attestation:,
     * via:] per image. Null when the text is not such a report. JsonSlurperClassic,
     * because its HashMaps survive the pipeline's serialisation (LazyMap does not).
     */
    static Map attestResult(String bundle, String text) {
        Object report
        try {
            report = new JsonSlurperClassic().parseText(text ?: '')
        } catch (Exception ignored) {
            return null
        }
        if (!(report instanceof Map)) {
            return null
        }
        return [bundle  : bundle,
                keyId   : report.keyId,
                subjects: report.subjects instanceof List ? report.subjects : [],
                pushed  : report.pushed instanceof List ? report.pushed : []]
    }

    /**
     * What provenantAttest(server: …) returns, from `provenant attest --server
     * --json`: the bundle as given, the service's URL, the bundle's index in
     * the service's log and how many subjects it signed for. Null when the
     * text is not such a report.
     */
    static Map serviceAttestResult(String bundle, String server, String text) {
        Object report
        try {
            report = new JsonSlurperClassic().parseText(text ?: '')
        } catch (Exception ignored) {
            return null
        }
        if (!(report instanceof Map) || !(report.logIndex instanceof Number)) {
            return null
        }
        return [bundle: bundle, server: server, logIndex: report.logIndex, subjectCount: report.subjects]
    }

    /** The log line for an attest report: the CLI's own summary goes to the report file. */
    static String attestSummary(Map result) {
        List lines = ["provenantAttest: attested ${result.subjects.size()} subject(s) into ${result.bundle}, signed by key ${result.keyId}".toString()]
        for (int i = 0; i < result.pushed.size(); i++) {
            Map pushed = result.pushed[i]
            lines.add("provenantAttest: pushed attestation ${pushed.attestation} beside ${pushed.image} (${pushed.via})".toString())
        }
        return lines.join('\n')
    }

    /**
     * A yes/no option: true or false, or those words as strings in any case
     * ('false' from a string parameter or an environment variable), which
     * Groovy truth would take as true. The default when unset; null when the
     * value is anything else, for the step to report.
     */
    static Boolean flag(value, boolean byDefault) {
        if (value == null) {
            return byDefault
        }
        if (value instanceof Boolean) {
            return value
        }
        String text = value.toString().trim().toLowerCase()
        return (text == 'true' || text == 'false') ? text.toBoolean() : null
    }

    /** Option names a step does not know, to fail early on typos. */
    static List unknownOptions(Map config, List known) {
        List result = []
        for (Object name : config.keySet()) {
            if (!known.contains(name)) {
                result.add(name.toString())
            }
        }
        return result
    }
}
