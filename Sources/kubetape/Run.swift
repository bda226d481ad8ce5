import ArgumentParser
import FakeCluster
import Replay
import Scenario

#if canImport(Glibc)
    import Glibc
#endif

/// `kubetape run`: runs scenarios in the embedded fake cluster (or their DNS steps against another
/// server on loopback) and reports what held.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scenarios against the embedded fake cluster and report which expectations hold.",
        discussion: """
            PATH is a scenario file or a directory (its *.yaml files, not its subdirectories, so \
            scenarios/clusters/ is not read as scenarios). Each scenario runs in a fresh fake \
            cluster in the loopback plan, or in the netns plan (root: network namespaces \
            kubetape-<pid>-*, removed at exit and on SIGINT/SIGTERM) when it has exec: steps or \
            cluster.plan: netns; the same scenarios and seed give byte-identical reports. \
            Exits 0 when every expectation holds, 1 when any fails, 2 for invalid input. \
            See docs/scenario-format.md and docs/report-format.md.
            """
    )

    @Argument(help: "Scenario files or directories.")
    var paths: [String]

    @Option(help: "Report format: text, json, junit, markdown.")
    var format: ReportFormat = .text

    @Option(help: "Write the report to FILE instead of standard output.")
    var out: String?

    @Option(help: "Seed for every scenario (overrides each scenario's cluster.seed; default 1).")
    var seed: UInt64?

    @Option(help: "Loopback block of the fake cluster: pods in 127.B.0.0/16, services in 127.(B+1).0.0/16.")
    var loopbackBlock: UInt8 = 31

    @Flag(help: "Add each step's duration and its loopback addresses and ports to the report (which then differs from run to run).")
    var timings = false

    @Option(help: "Send the steps' DNS queries to this server (ADDRESS:PORT, loopback only) instead of the fake cluster's own.")
    var dns: String?

    func validate() throws {
        if let dns, DNSServerAddress(parsing: dns) == nil {
            throw ValidationError("--dns takes ADDRESS:PORT with an IPv4 address in 127.0.0.0/8 (kubetape sends only to loopback), not '\(dns)'")
        }
        guard !paths.isEmpty else { throw ValidationError("give at least one scenario file or directory") }
        guard loopbackBlock >= 1 && loopbackBlock <= 253 else { throw ValidationError("--loopback-block must be 1...253") }
    }

    func run() async throws {
        let scenarios: [Scenario]
        do {
            let files = try ScenarioFiles.expand(paths)
            guard !files.isEmpty else { throw BadInput("\(paths.joined(separator: " ")): no scenario files (*.yaml)") }
            let parser = ScenarioParser()
            scenarios = try files.map { try parser.parse(file: $0) }
        } catch let error as ScenarioError {
            throw BadInput(error.description)
        }
        var options = ReplayOptions()
        options.seed = seed
        options.loopbackBlock = loopbackBlock
        options.dnsServer = dns.flatMap { DNSServerAddress(parsing: $0) }
        options.timings = timings
        // exec: steps run in namespaces of this process: SIGINT/SIGTERM must not leave them behind
        let cleanup = scenarios.contains(where: ScenarioRunner.needsNamespaces) ? SignalCleanup { NetworkNamespace.removeOwned() } : nil
        defer { cleanup?.run() }
        let report: Report
        do {
            report = try await ScenarioRunner(options: options).run(scenarios)
        } catch let error as ReplayError {
            Run.exitIfSignalled(cleanup)
            throw BadInput(error.description)
        }
        // a SIGINT/SIGTERM that ended a step's program ends the run: no report, 128 + signal
        Run.exitIfSignalled(cleanup)
        let text = format.render(report)
        if let out {
            guard Run.write(text, to: out) else { throw BadInput("\(out): cannot write the report") }
        } else {
            print(text, terminator: "")
        }
        if !report.passed { throw ExitCode(1) }
    }

    /// After SIGINT/SIGTERM: removes the namespaces and exits with 128 + signal, as the signal
    /// handler does, whichever of the two gets there first.
    static func exitIfSignalled(_ cleanup: SignalCleanup?) {
        guard let cleanup, let signal = TerminationSignals.receivedSignal else { return }
        cleanup.run()
        Glibc.exit(128 + signal)
    }

    static func write(_ text: String, to path: String) -> Bool {
        guard let file = fopen(path, "wb") else { return false }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        return fclose(file) == 0 && written == bytes.count
    }
}

extension ReportFormat: ExpressibleByArgument {}
