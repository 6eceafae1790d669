// Runs the shared library's steps outside Jenkins, with a small stub of the
// pipeline steps they use (sh, withCredentials, withEnv, archiveArtifacts,
// env, error, isUnix and the credential binding symbols), and prints what
// each step was asked to do as JSON. One JVM runs every case: groovy starts
// slowly.
//
// usage: groovy pipeline-stub.groovy LIBRARY_DIR CASES_JSON
//
// A case: { name, step, config, env, credentials: { id: value }, unix,
//           shStatus (returned by sh when not executing), cliStdout,
//           execute, cwd, path, home, script, files, anyCredentials }.
// With execute, sh really runs `sh -xe -c SCRIPT` in cwd with the stub's
// environment, as a Jenkins agent would. Without it, cliStdout stands for
// what the CLI printed: it is written where the step's script sends the
// CLI's stdout (PROVENANT_RESULT_FILE). With script, the case runs that
// Groovy text (a call taken from a Jenkinsfile) with the steps, env and
// findFiles (answering files) bound, instead of calling step with config.

import groovy.json.JsonOutput
import groovy.json.JsonSlurper

class StepFailure extends RuntimeException {
    StepFailure(String message) { super(message) }
}

File library = new File(args[0])
List cases = new JsonSlurper().parse(new File(args[1])) as List
GroovyClassLoader loader = new GroovyClassLoader(this.class.classLoader)
loader.addClasspath(new File(library, 'src').path)
Map stepClasses = [:]
for (String name : ['provenantAttest', 'provenantVerify']) {
    stepClasses[name] = loader.parseClass(new File(library, "vars/${name}.groovy"))
}

List results = []
for (Map testCase : cases) {
    List calls = []
    Map jobEnv = new LinkedHashMap(testCase.env ?: [:])
    Map env = new LinkedHashMap(jobEnv)
    Map credentials = testCase.credentials ?: [:]
    Binding binding = new Binding()

    Closure changedEnv = { ->
        env.findAll { k, v -> jobEnv[k] != v }
    }
    Closure scoped = { Map additions, Closure body ->
        Map saved = new LinkedHashMap(env)
        env.putAll(additions)
        try {
            return body()
        } finally {
            env.clear()
            env.putAll(saved)
        }
    }
    Closure secret = { String id ->
        if (testCase.anyCredentials && !credentials.containsKey(id)) {
            return 'user:secret'
        }
        if (!credentials.containsKey(id)) {
            throw new StepFailure("Could not find credentials entry with ID '${id}'")
        }
        credentials[id]
    }

    // Like a workspace and the `pwd(tmp: true)` directory Jenkins keeps beside it.
    String workspace = testCase.cwd ?: File.createTempDir('provenant-stub-', '-ws').path
    binding.setVariable('pwd', { Map arguments = [:] ->
        calls.add([step: 'pwd'] + arguments)
        if (!arguments.tmp) {
            return workspace
        }
        File tmp = new File(workspace + '@tmp')
        tmp.mkdirs()
        return tmp.path
    })
    binding.setVariable('readFile', { Map arguments ->
        calls.add([step: 'readFile'] + arguments)
        File file = new File(arguments.file as String)
        if (!file.absolute) {
            file = new File(workspace, arguments.file as String)
        }
        if (!file.exists()) {
            throw new StepFailure("java.nio.file.NoSuchFileException: ${file}")
        }
        return file.getText('UTF-8')
    })
    binding.setVariable('echo', { String message -> calls.add([step: 'echo', message: message]) })
    binding.setVariable('findFiles', { Map arguments ->
        (testCase.files ?: []).collect { [path: it, name: new File(it as String).name] }
    })
    binding.setVariable('env', env)
    binding.setVariable('isUnix', { -> testCase.unix != false })
    binding.setVariable('error', { String message ->
        calls.add([step: 'error', message: message])
        throw new StepFailure(message)
    })
    binding.setVariable('file', { Map arguments -> [$class: 'FileBinding'] + arguments })
    binding.setVariable('string', { Map arguments -> [$class: 'StringBinding'] + arguments })
    binding.setVariable('usernamePassword', { Map arguments -> [$class: 'UsernamePasswordMultiBinding'] + arguments })
    // Like Jenkins' withEnv: EnvStep hands its pairs to
    // EnvironmentExpander.constant, i.e. EnvVars.overrideAll -> override,
    // which stores each value as given (no `$NAME` expansion) and removes a
    // variable whose value is empty.
    binding.setVariable('withEnv', { List variables, Closure body ->
        calls.add([step: 'withEnv', variables: variables])
        Map saved = new LinkedHashMap(env)
        for (String variable : variables) {
            int equals = variable.indexOf('=')
            String value = variable.substring(equals + 1)
            if (value.isEmpty()) {
                env.remove(variable.substring(0, equals))
            } else {
                env[variable.substring(0, equals)] = value
            }
        }
        try {
            return body()
        } finally {
            env.clear()
            env.putAll(saved)
        }
    })
    binding.setVariable('withCredentials', { List bindings, Closure body ->
        calls.add([step: 'withCredentials', bindings: bindings])
        Map additions = [:]
        List files = []
        for (Map credential : bindings) {
            if (credential.$class == 'FileBinding') {
                // Like the Credentials Binding plugin: a temporary file, deleted afterwards.
                File temporary = File.createTempFile('secret', '.tmp')
                temporary.text = secret(credential.credentialsId)
                files.add(temporary)
                additions[credential.variable] = temporary.path
            } else if (credential.$class == 'StringBinding') {
                additions[credential.variable] = secret(credential.credentialsId)
            } else {
                List pair = secret(credential.credentialsId).toString().split(':', 2) as List
                additions[credential.usernameVariable] = pair[0]
                additions[credential.passwordVariable] = pair[1]
            }
        }
        try {
            scoped(additions, body)
        } finally {
            files*.delete()
        }
    })
    binding.setVariable('sh', { Map arguments ->
        Map call = [step: 'sh', label: arguments.label, script: arguments.script, returnStatus: arguments.returnStatus,
                    environment: changedEnv()]
        calls.add(call)
        int status = (testCase.shStatus ?: 0) as int
        if (testCase.execute) {
            ProcessBuilder builder = new ProcessBuilder(['sh', '-xe', '-c', arguments.script])
            builder.directory(new File(testCase.cwd as String))
            Map processEnv = builder.environment()
            // The tests give a PATH whose `rm` only leaves a mark and a
            // scratch HOME: if quoting ever broke, `rm -rf /` or `$HOME`
            // in a value must not touch this machine.
            if (!testCase.path || !testCase.home) {
                throw new IllegalArgumentException("case ${testCase.name}: execute needs path and home")
            }
            processEnv.clear()
            processEnv.PATH = testCase.path as String
            processEnv.HOME = testCase.home as String
            // Values as they are: Launcher.inherit expands `$NAME` against
            // the agent's environment, but durable-task doubles every `$`
            // first (FileMonitoringTask.escape, JENKINS-40734), so the
            // process of a real `sh` step receives them literally too.
            env.each { k, v -> processEnv[k as String] = v as String }
            Process process = builder.start()
            ByteArrayOutputStream out = new ByteArrayOutputStream()
            ByteArrayOutputStream err = new ByteArrayOutputStream()
            process.consumeProcessOutput(out, err)
            status = process.waitFor()
            process.waitForProcessOutput()
            call.stdout = out.toString('UTF-8')
            call.stderr = err.toString('UTF-8')
            // The script sent the CLI's stdout there: record it as its stdout.
            if (env.PROVENANT_RESULT_FILE && new File(env.PROVENANT_RESULT_FILE as String).exists()) {
                call.stdout = new File(env.PROVENANT_RESULT_FILE as String).getText('UTF-8')
            }
        } else if (env.PROVENANT_RESULT_FILE && testCase.cliStdout != null) {
            new File(env.PROVENANT_RESULT_FILE as String).setText(testCase.cliStdout as String, 'UTF-8')
        }
        call.status = status
        if (!arguments.returnStatus && status != 0) {
            throw new StepFailure("script returned exit code ${status}")
        }
        return status
    })
    binding.setVariable('archiveArtifacts', { Map arguments -> calls.add([step: 'archiveArtifacts'] + arguments) })

    Map steps = [:]
    stepClasses.each { name, type ->
        steps[name] = type.newInstance(binding)
        binding.setVariable(name, steps[name])
    }
    Map result = [name: testCase.name, calls: calls]
    try {
        if (testCase.script) {
            result.returned = new GroovyShell(loader, binding).evaluate(testCase.script as String)
        } else {
            result.returned = steps[testCase.step].call(testCase.config ?: [:])
        }
    } catch (StepFailure failure) {
        result.error = failure.message
    }
    results.add(result)
}
println JsonOutput.toJson(results)
