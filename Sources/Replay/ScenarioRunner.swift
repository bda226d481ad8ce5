import ClusterDNS
import ClusterModel
import DNSWire
import FakeCluster
import Logging
import NIOCore
import Scenario

#if canImport(Glibc)
    import Glibc
#endif

/// Settings of a replay run.
public struct ReplayOptions: Sendable {
    /// Replaces every scenario's seed (`kubetape run --seed`).
    public var seed: UInt64?
    /// Loopback plan block: pods in 127.<block>.0.0/16, services in 127.<block+1>.0.0/16.
    public var loopbackBlock: UInt8 = 31
    /// `--timings`: each step's duration and its loopback addresses and ephemeral ports in the
    /// report (which are then no longer byte-identical from run to run).
    public var timings = false
    /// Sends every DNS query of the steps to this server instead of the fake cluster's own
    /// (`kubetape run --dns`); loopback only. HTTP still goes to the fake cluster.
    public var dnsServer: DNSServerAddress?
    /// The fake cluster's logger; warnings and above by default, so a run prints only its report.
    public var logger: Logger = {
        var logger = Logger(label: "kubetape.replay")
        logger.logLevel = .warning
        return logger
    }()

    public init() {}
}

/// A DNS server on loopback: address and port.
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var port: UInt16

    /// `nil` unless `address` is in 127.0.0.0/8 (kubetape never sends to other addresses).
    public init?(address: IPv4Address, port: UInt16) {
        guard address.octets[0] == 127, port != 0 else { return nil }
        self.address = address
        self.port = port
    }

    /// Parses `ADDRESS:PORT`.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let address = IPv4Address(text[..<colon]), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        self.init(address: address, port: port)
    }

    public var description: String { "\(address):\(port)" }
}

/// Runs scenarios, one fresh fake cluster each, and returns reports. Expectations that do not hold
/// become failed checks in the report; only a scenario that cannot run throws ``ReplayError``.
public struct ScenarioRunner: Sendable {
    public var options: ReplayOptions

    /// The seed when neither the scenario nor the options give one.
    public static let defaultSeed: UInt64 = 1

    public init(options: ReplayOptions = ReplayOptions()) {
        self.options = options
    }

    /// True when the scenario runs in the netns plan (an `exec:` step or `cluster.plan: netns`):
    /// it needs root and creates network namespaces.
    public static func needsNamespaces(_ scenario: Scenario) -> Bool {
        ReplaySession.needsNetns(scenario)
    }

    /// Runs every scenario in order.
    public func run(_ scenarios: [Scenario]) async throws -> Report {
        var reports: [ScenarioReport] = []
        for scenario in scenarios {
            reports.append(try await run(scenario))
        }
        return Report(scenarios: reports)
    }

    /// Runs one scenario in its own fake cluster.
    public func run(_ scenario: Scenario) async throws -> ScenarioReport {
        let seed = options.seed ?? scenario.cluster.seed ?? ScenarioRunner.defaultSeed
        var session = try ReplaySession(
            scenario: scenario, seed: seed, loopbackBlock: options.loopbackBlock, logger: options.logger, dnsServer: options.dnsServer)
        var steps: [StepReport] = []
        do {
            try await session.start()
            let clock = ContinuousClock()
            for (offset, step) in scenario.steps.enumerated() {
                session.timingDetails = []
                let started = clock.now
                var report = try await session.run(step, index: offset + 1)
                if options.timings {
                    let elapsed = started.duration(to: clock.now).components
                    report.timing = StepTiming(
                        microseconds: Int(elapsed.seconds) * 1_000_000 + Int(elapsed.attoseconds / 1_000_000_000_000), details: session.timingDetails)
                }
                steps.append(report)
            }
        } catch {
            await session.shutdown()
            throw error
        }
        await session.shutdown()
        var report = ScenarioReport(name: scenario.name, file: scenario.displayPath, seed: seed, steps: steps)
        report.client = "\(session.clientNamespace)/\(session.clientPod.meta.name)"
        return report
    }
}
