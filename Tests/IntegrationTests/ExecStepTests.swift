import Foundation
import Testing

/// Scenario `exec:` steps in the netns plan, through `kubetape run` as a user runs it: unmodified
/// curl and nslookup in the client pod's network namespace, judged by exit status, output, the
/// queries the cluster DNS saw and the connections the fake cluster accepted. Needs root (network
/// namespaces) and the tools; a missing one is a failure with a message, never a silent pass.
@Suite(.serialized) struct ExecStepTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let manifests = root + "/scenarios/clusters/kiada"

    static let directory: String = {
        let path = NSTemporaryDirectory() + "kubetape-exec-steps-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    struct Run {
        var pid: Int32
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    static func requirePrivilegesAndTools() throws {
        try #require(getuid() == 0, "exec: steps need root (kubetape creates network namespaces); run the tests as root as CI does")
        for tool in ["/usr/bin/curl", "/usr/bin/nslookup", "/usr/sbin/ip", "/usr/bin/unshare"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) missing: run scripts/setup.sh")
        }
        try #require(FileManager.default.isExecutableFile(atPath: KubetapeBinary.path), "\(KubetapeBinary.BinaryMissing(path: KubetapeBinary.path))")
    }

    /// Writes `yaml` as `<directory>/<subdirectory>/<name>.yaml` and returns its path.
    static func write(_ name: String, _ yaml: String, in subdirectory: String = "") throws -> String {
        let folder = directory + (subdirectory.isEmpty ? "" : "/" + subdirectory)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name + ".yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `kubetape run ARGS` from `directory` (reports name the file relative to it), with its pid.
    static func kubetape(_ arguments: [String], in workingDirectory: String = directory) throws -> Run {
        try requirePrivilegesAndTools()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: KubetapeBinary.path)
        process.arguments = ["run"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let started = Date()
        try process.run()
        let pid = process.processIdentifier
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            pid: pid, status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self), seconds: Date().timeIntervalSince(started))
    }

    /// The run's namespaces still listed by `ip netns list`.
    static func namespaces(of pid: Int32) throws -> [String] {
        let listing = try KubetapeBinary.runProgram("/usr/sbin/ip", ["netns", "list"])
        return listing.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) }.filter { $0.hasPrefix("kubetape-\(pid)-") }
    }

    static func steps(_ json: String) throws -> [[String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "not a JSON object: \(json)")
        let scenarios = try #require(object["scenarios"] as? [[String: Any]])
        return try #require(scenarios.first?["steps"] as? [[String: Any]])
    }

    static func observations(_ step: [String: Any]) -> [String] { step["observations"] as? [String] ?? [] }

    /// A step's check as (passed, expected, actual).
    static func check(_ step: [String: Any], _ expectation: String) throws -> (passed: Bool, expected: [String], actual: [String]) {
        let checks = step["checks"] as? [[String: Any]] ?? []
        let found = try #require(
            checks.first { $0["expectation"] as? String == expectation }, "step \(step["index"] ?? "?") has no \(expectation) check: \(checks)")
        return (found["passed"] as? Bool ?? false, found["expected"] as? [String] ?? [], found["actual"] as? [String] ?? [])
    }

    // MARK: scenarios

    static var holding: String {
        """
        name: exec steps that hold
        cluster:
          manifests: \(manifests)
        steps:
          - name: five curls through the cluster IP
            exec: for i in 1 2 3 4 5; do curl -s --max-time 3 http://quote; done
            expect:
              connectsTo: service-ip
              servedBy: {atLeast: 2}
              queries: [quote.kiada.svc.cluster.local]
              output: {regex: "(This is the quote service running in pod quote-[a-z0-9]+\\\\n){4}This is the quote service running in pod quote-[a-z0-9]+"}
          - exec: nslookup quote-headless.kiada
            expect:
              searchQueries: [quote-headless.kiada.kiada.svc.cluster.local]
          - exec: curl -s --max-time 3 http://quote-headless
            expect:
              output: {regex: "This is the quote service running in pod quote-(canary|00[1-3])"}
              connectsTo: pod-ips
              servedBy: {atLeast: 1}
          - exec: exit 3
            expect:
              exitCode: 3
          - exec: kill -9 $$
            expect:
              exitCode: 137
          - exec: [nslookup, quote-headless.kiada]
            expect:
              searchQueries: [quote-headless.kiada.kiada.svc.cluster.local]
              queries: [quote-headless.kiada.kiada.svc.cluster.local, quote-headless.kiada.svc.cluster.local]
              noUnexpectedQueries: true
          - exec: hostname
            capture: host
            expect:
              output: dns-test
          - exec: [/bin/sh, -c, "test \\"$0\\" = dns-test && cat /etc/resolv.conf", "${host}"]
            expect:
              output: "search kiada.svc.cluster.local svc.cluster.local cluster.local\\nnameserver 10.96.0.10\\noptions ndots:5\\n"
          - wait: 200ms
          - lookup: quote-headless
            expect:
              count: 4
          - http: {url: http://quote, repeat: 4}
            expect:
              connectsTo: service-ip
              status: 200

        """
    }

    static var failing: String {
        """
        name: exec steps that fail
        cluster:
          manifests: \(manifests)
        steps:
          - exec: exit 3
          - exec: {command: sleep 10, timeout: 500ms}
          - exec: echo to-stderr >&2; exit 4
            expect:
              exitCode: 0
          - exec: curl -s --max-time 3 http://quote-headless
            expect:
              output: {regex: "nothing like this"}
              connectsTo: service-ip
          - exec: nslookup quote-headless.kiada
            expect:
              noUnexpectedQueries: true
          - exec: exit 3
            expect:
              exitCode: 3

        """
    }

    // MARK: tests

    @Test func execStepsThatHoldExitZero() throws {
        let file = try Self.write("holding", Self.holding)
        let run = try Self.kubetape([file])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasSuffix("1 scenario, 11 steps: all expectations hold\n"), "\(run.stdout)")
        #expect(run.stdout.contains("  pass 4. exec exit 3\n"))
        #expect(try Self.namespaces(of: run.pid).isEmpty, "kubetape-\(run.pid)-* left behind")
        #expect(try Self.namespaces(of: getpid()).isEmpty)
    }

    @Test func execObservationsAndChecksInTheJSONReport() throws {
        let file = try Self.write("holding", Self.holding)
        let run = try Self.kubetape([file, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let steps = try Self.steps(run.stdout)
        try #require(steps.count == 11)
        // five curls: A and AAAA five times each, connections to the cluster IP forwarded to pods
        let curls = Self.observations(steps[0])
        #expect(curls.first == "exit 0")
        #expect(curls.contains("dns quote.kiada.svc.cluster.local. A NOERROR 10.96.161.97 ×5"), "\(curls)")
        let connects = curls.filter { $0.hasPrefix("connect 10.96.161.97:80 (service IP) forwarded to kiada/quote-") }
        #expect(connects.count >= 2, "\(curls)")
        let distribution = try #require(steps[0]["distribution"] as? [String: Any])
        #expect(distribution.values.compactMap { $0 as? Int }.reduce(0, +) == 5 && distribution.count >= 2, "\(distribution)")
        #expect(try Self.check(steps[0], "connectsTo") == (true, ["10.96.161.97 service IP"], ["10.96.161.97 service IP"]))
        #expect(try Self.check(steps[0], "servedBy").actual.first?.hasPrefix("\(distribution.count) distinct pods: kiada/quote-") == true)
        #expect(try Self.check(steps[0], "queries") == (true, ["quote.kiada.svc.cluster.local."], ["quote.kiada.svc.cluster.local."]))
        #expect(try Self.check(steps[0], "exitCode") == (true, ["0"], ["0"]))
        // nslookup walks the search list: one NXDOMAIN before the answer
        #expect(
            try Self.check(steps[1], "searchQueries") == (
                true, ["quote-headless.kiada.kiada.svc.cluster.local."], ["quote-headless.kiada.kiada.svc.cluster.local."]
            ))
        #expect(Self.observations(steps[1]).contains("dns quote-headless.kiada.kiada.svc.cluster.local. A NXDOMAIN"))
        // curl through the headless name dials a pod IP directly
        let headless = Self.observations(steps[2])
        #expect(headless.contains { $0.hasPrefix("connect 10.244.") && $0.contains(":80 (pod IP) served by kiada/quote-") }, "\(headless)")
        #expect(try Self.check(steps[2], "output").passed)
        #expect(try Self.check(steps[3], "exitCode") == (true, ["3"], ["3"]))
        #expect(Self.observations(steps[3]) == ["exit 3"])
        #expect(try Self.check(steps[4], "exitCode") == (true, ["137"], ["137"]))
        #expect(try Self.check(steps[5], "noUnexpectedQueries").passed)
        #expect(steps[5]["name"] as? String == "exec nslookup quote-headless.kiada")
        #expect(Self.observations(steps[6]).contains("captured ${host} = dns-test"))
        #expect(steps[7]["name"] as? String == "exec /bin/sh -c 'test \"$0\" = dns-test && cat /etc/resolv.conf' 'dns-test'")
        #expect(try Self.check(steps[7], "output").passed)
        // in the netns plan unmodified programs keep their own time: wait sleeps for real
        #expect(Self.observations(steps[8]) == ["clock +200ms (now 200ms), slept for real"])
        // the built-in lookup and fetch go through the client namespace too
        #expect(try Self.check(steps[9], "count") == (true, ["4"], ["4"]))
        #expect(try Self.check(steps[10], "status") == (true, ["200"], ["200"]))
        #expect(!run.stdout.contains("127."), "a loopback address in a netns report")
        #expect(!run.stdout.contains("\"timing\""))
        #expect(try Self.namespaces(of: run.pid).isEmpty, "kubetape-\(run.pid)-* left behind")
    }

    @Test func twoRunsGiveByteIdenticalJSON() throws {
        let file = try Self.write("holding", Self.holding)
        let first = try Self.kubetape([file, "--format", "json"])
        let second = try Self.kubetape([file, "--format", "json"])
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        #expect(!first.stdout.isEmpty)
        #expect(Array(first.stdout.utf8) == Array(second.stdout.utf8), "two runs of the same exec scenario differ")
        #expect(try Self.namespaces(of: first.pid).isEmpty && Self.namespaces(of: second.pid).isEmpty)
    }

    @Test func failingExecExpectationsExitOneWithDiffs() throws {
        _ = try Self.write("failing", Self.failing)
        let run = try Self.kubetape(["failing.yaml", "--format", "json"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        // the 500 ms timeout ends sleep 10 long before it would
        #expect(run.seconds < 8, "took \(run.seconds) s")
        let steps = try Self.steps(run.stdout)
        try #require(steps.count == 6)
        #expect(try Self.check(steps[0], "exitCode") == (false, ["0"], ["3"]))
        #expect(Self.observations(steps[1]).first == "killed after 500ms (timeout)")
        #expect(try Self.check(steps[1], "exitCode") == (false, ["0"], ["killed after 500ms"]))
        #expect(try Self.check(steps[2], "exitCode") == (false, ["0"], ["4", "stderr: to-stderr"]))
        let output = try Self.check(steps[3], "output")
        #expect(!output.passed && output.expected == ["regex: nothing like this"])
        #expect(output.actual.count == 1 && output.actual[0].hasPrefix("This is the quote service running in pod quote-"), "\(output.actual)")
        let connects = try Self.check(steps[3], "connectsTo")
        #expect(!connects.passed && connects.actual.count == 1 && connects.actual[0].hasSuffix(" pod IP"), "\(connects)")
        // an exec step declares no name of its own: every query must be listed
        let unexpected = try Self.check(steps[4], "noUnexpectedQueries")
        #expect(!unexpected.passed && unexpected.expected.isEmpty)
        #expect(unexpected.actual == ["quote-headless.kiada.kiada.svc.cluster.local.", "quote-headless.kiada.svc.cluster.local."])
        #expect(steps[5]["passed"] as? Bool == true)
        #expect(try Self.namespaces(of: run.pid).isEmpty, "kubetape-\(run.pid)-* left behind")

        let text = try Self.kubetape(["failing.yaml"])
        #expect(text.status == 1)
        #expect(
            text.stdout.contains(
                "  FAIL 1. exec exit 3\n       exitCode does not hold (failing.yaml:5):\n         --- expected\n         +++ actual\n         -0\n         +3\n"
            ), "\(text.stdout)")
        #expect(text.stdout.contains("         +killed after 500ms\n"))
        #expect(text.stdout.contains("  pass 6. exec exit 3\n"))
        #expect(text.stdout.hasSuffix("1 scenario, 6 steps: 5 steps failed in 1 scenario\n"), "\(text.stdout)")
        #expect(try Self.namespaces(of: text.pid).isEmpty)
    }

    /// The same built-in steps give the same report in both plans: the netns plan serves the
    /// cluster's real addresses, the loopback plan their stand-ins, and reports hold neither.
    @Test func netnsAndLoopbackPlansReportTheSame() throws {
        var outputs: [String] = []
        for plan in ["netns", "loopback"] {
            _ = try Self.write(
                "plans",
                """
                cluster:
                  manifests: \(Self.manifests)
                  plan: \(plan)
                steps:
                  - lookup: {name: quote-headless, repeat: 3}
                    expect: {count: 4}
                  - http: {url: http://quote-headless, repeat: 6}
                    expect: {connectsTo: pod-ips, status: 200}
                  - http: {url: http://quote, repeat: 6}
                    expect: {connectsTo: service-ip, servedBy: {atLeast: 2}}
                  - deletePod: quote-001
                  - lookup: quote-headless
                    expect: {count: 3}
                  - http: {url: http://quote, repeat: 4, newConnectionEachTime: false}
                    expect: {status: 200}

                """, in: plan)
            let run = try Self.kubetape(["plans.yaml", "--format", "json", "--loopback-block", "61"], in: Self.directory + "/" + plan)
            #expect(run.status == 0, "\(plan): \(run.stdout)\(run.stderr)")
            #expect(try Self.namespaces(of: run.pid).isEmpty)
            outputs.append(run.stdout)
        }
        #expect(outputs[0] == outputs[1], "the netns plan reports differently from the loopback plan")
    }

    /// scale: and deletePod: rebuild the namespaces: new pods answer on their addresses, deleted
    /// ones are gone, for unmodified programs too.
    @Test func changesRebuildTheNamespaces() throws {
        _ = try Self.write(
            "netns-changes",
            """
            cluster:
              inline: |
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  clusterIP: None
                  selector: {app: web}
                  ports: [{name: http, port: 80, targetPort: http}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: front, namespace: shop}
                spec:
                  selector: {app: web}
                  ports: [{name: http, port: 80, targetPort: http}]
                ---
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: web, namespace: shop}
                spec:
                  serviceName: web
                  replicas: 2
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers:
                        - name: web
                          image: nginx
                          ports: [{name: http, containerPort: 80}]
            client:
              namespace: shop
            steps:
              - exec: curl -s --max-time 3 http://web-1.web
                expect: {output: "This is the web service running in pod web-1", servedBy: [web-1]}
              - scale: {name: web, replicas: 4}
              - exec: curl -s --max-time 3 http://web-3.web
                expect: {output: "This is the web service running in pod web-3", servedBy: [web-3], connectsTo: pod-ips}
              - exec: for i in 1 2 3 4 5 6 7 8 9 10 11 12; do curl -s --max-time 3 http://front; done
                expect: {servedBy: {atLeast: 3}, connectsTo: service-ip}
              - deletePod: web-0
              - exec: getent ahostsv4 web | awk '{print $1}' | sort -u | wc -l
                expect: {output: "3"}
              - scale: {name: web, replicas: 1}
              - exec: curl -s --max-time 2 http://web-3.web
                expect: {exitCode: 6}
              - exec: curl -s --max-time 3 http://web-1.web
                expect: {output: "This is the web service running in pod web-1"}

            """)
        let run = try Self.kubetape(["netns-changes.yaml"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasSuffix("1 scenario, 9 steps: all expectations hold\n"), "\(run.stdout)")
        #expect(try Self.namespaces(of: run.pid).isEmpty)
    }

    /// Starts `kubetape run` on a scenario whose exec step sleeps `seconds` and returns once the
    /// run's namespaces exist (or 10 s passed).
    static func runSleeping(_ seconds: Int) throws -> Process {
        try requirePrivilegesAndTools()
        _ = try write("sleeping-\(seconds)", "cluster:\n  manifests: \(manifests)\nsteps:\n  - exec: {command: sleep \(seconds), timeout: 60s}\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: KubetapeBinary.path)
        process.arguments = ["run", "sleeping-\(seconds).yaml"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while try namespaces(of: process.processIdentifier).count < 2 && Date() < deadline { usleep(50_000) }
        // the step's program starts right after the namespaces
        usleep(300_000)
        return process
    }

    static func processes(_ commandLine: String) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { entry in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").trimmingCharacters(in: .whitespaces) == commandLine
                ? pid : nil
        }
    }

    @Test func sigintDuringAnExecStepRemovesTheNamespacesAndTheProgram() throws {
        let process = try Self.runSleeping(41)
        let pid = process.processIdentifier
        #expect(try Self.namespaces(of: pid).sorted() == ["kubetape-\(pid)-client", "kubetape-\(pid)-cluster"])
        #expect(try !Self.processes("sleep 41").isEmpty, "the exec step's program is not running")
        kill(pid, SIGINT)
        process.waitUntilExit()
        #expect(try Self.namespaces(of: pid).isEmpty, "SIGINT left the namespaces")
        #expect(try Self.processes("sleep 41").isEmpty, "SIGINT left the exec step's program running")
    }

    @Test func aKilledRunsNamespacesAreRemovedByTheNextRun() throws {
        let process = try Self.runSleeping(43)
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        process.waitUntilExit()
        // a killed run cannot clean up; its namespaces stay until the next run on the machine (this
        // one, or one of a suite running in parallel) removes them
        #expect(try Self.processes("sleep 43").count == 1, "the killed run's program should still run in its namespace")
        let next = try Self.kubetape([try Self.write("after-kill", Self.holding)])
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(try Self.namespaces(of: pid).isEmpty, "the next run did not remove the stale namespaces of \(pid)")
        #expect(try Self.processes("sleep 43").isEmpty, "the killed run's program was left running")
    }

    @Test func execInTheLoopbackPlanIsBadInputAtTheStep() throws {
        let file = try Self.write(
            "loopback-exec", "cluster:\n  manifests: \(Self.manifests)\n  plan: loopback\nsteps:\n  - lookup: quote\n  - exec: nslookup quote\n")
        let run = try Self.kubetape([file])
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(file):6:5: exec: runs an unmodified program in the client pod's network namespace"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(try Self.namespaces(of: run.pid).isEmpty)
    }

    // MARK: regressions

    /// A program that leaves a background child behind ends its step when it exits (the child,
    /// still holding the output pipe, is killed after a grace period), not at the timeout.
    @Test func aBackgroundChildDoesNotHoldTheStep() throws {
        try Self.requirePrivilegesAndTools()
        _ = try Self.write(
            "background",
            """
            cluster:
              manifests: \(Self.manifests)
            steps:
              - exec: {command: "sleep 20 & echo started", timeout: 8s}
                expect: {output: started}

            """)
        let run = try Self.kubetape(["background.yaml"])
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.seconds < 5, "took \(run.seconds) s")
    }

    /// `${NAME}` in an output regex is the captured value, matched literally.
    @Test func referenceInAnOutputRegex() throws {
        try Self.requirePrivilegesAndTools()
        _ = try Self.write(
            "regex-reference",
            """
            cluster:
              manifests: \(Self.manifests)
            steps:
              - exec: hostname
                capture: host
              - exec: hostname
                expect:
                  output: {regex: "${host}"}

            """)
        let run = try Self.kubetape(["regex-reference.yaml"])
        #expect(run.status == 0, "\(run.stdout)")
    }

    /// SIGINT during an exec step ends the run with 130 and no report, every time.
    @Test(arguments: 1...5)
    func sigintDuringAnExecStepExits130(attempt: Int) throws {
        try Self.requirePrivilegesAndTools()
        let process = try Self.runSleeping(41)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "attempt \(attempt)")
    }
}
