import ClusterDNS
import ClusterModel
import DNSWire
import FakeCluster
import Scenario

/// `exec:` steps: an unmodified program in the client pod's namespace (netns plan), judged by its
/// exit status, its output, and what the fake cluster saw it do (DNS queries, connections).
extension ReplaySession {
    mutating func execStep(_ step: Step, _ command: Step.Command, index: Int) async throws -> StepReport {
        guard let runtime, let topology else { throw ReplayError("\(scenario.displayPath): the fake cluster is not running in its namespaces") }
        let queriesBefore = handler.answeredQueries.count
        let connectionsBefore = runtime.log.connections.count
        let program = PodCommand(namespace: topology.client, hostname: clientPod.hostname ?? clientPod.meta.name, arguments: command.arguments)
        let outcome: PodCommand.Outcome
        do {
            outcome = try await program.run(capturing: true, timeout: .milliseconds(command.timeoutMilliseconds))
        } catch {
            throw ReplayError("\(scenario.displayPath):\(step.location.line):\(step.location.column): exec: cannot run \(command.written): \(error)")
        }
        let queries = Array(handler.answeredQueries.dropFirst(queriesBefore))
        // the program's own connections: those from the client pod's addresses (the forwarder's
        // connections to pods come from inside the cluster namespace)
        let prefixes = topology.clientAddresses.map { "\($0):" }
        let connections = runtime.log.connections.dropFirst(connectionsBefore).filter { connection in
            prefixes.contains { connection.client.hasPrefix($0) }
        }

        var observations: [String] = []
        observations.append(
            outcome.timedOut ? "killed after \(ScenarioParser.durationText(command.timeoutMilliseconds)) (timeout)" : "exit \(outcome.status)")
        // concurrent queries (A and AAAA in parallel) arrive in either order: the report lists
        // each distinct question once, sorted, with its answers as a set
        observations += ReplaySession.queryLines(queries)
        var counts: [String: Int] = [:]
        var lines: [String: Int] = [:]
        for connection in connections {
            let what = ReplaySession.connectionLine(connection, kind: classify(connection.destination))
            lines[what, default: 0] += 1
            if let backend = connection.backend, connection.kind != .refused { counts[backend, default: 0] += 1 }
        }
        observations += lines.keys.sorted().map { line in lines[line] == 1 ? line : "\(line) ×\(lines[line] ?? 0)" }

        let expect = step.expect
        var checks: [Check] = []
        let status = outcome.timedOut ? "killed after \(ScenarioParser.durationText(command.timeoutMilliseconds))" : String(outcome.status)
        let wantedStatus = expect.exitCode ?? 0
        let lastErrors = outcome.errorOutput.split(separator: "\n").suffix(5).map { "stderr: " + $0 }
        checks.append(
            Check(
                expectation: "exitCode", passed: !outcome.timedOut && Int(outcome.status) == wantedStatus, expected: [String(wantedStatus)],
                actual: [status] + (Int(outcome.status) == wantedStatus ? [] : lastErrors)))
        if let output = expect.output {
            let text = ReplaySession.trimmedTrailingNewlines(outcome.output)
            let passed: Bool
            let expectedLines: [String]
            switch output {
            case .text(let wanted):
                passed = text == ReplaySession.trimmedTrailingNewlines(wanted)
                expectedLines = ReplaySession.trimmedTrailingNewlines(wanted).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            case .regex(let pattern):
                passed = (try? Regex(pattern).wholeMatch(in: text)) != nil
                expectedLines = ["regex: \(ReplaySession.escaped(pattern))"]
            }
            checks.append(
                Check(
                    expectation: "output", passed: passed, expected: expectedLines,
                    actual: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)))
        }
        let names = ReplaySession.distinct(queries.map { $0.question.name.description.lowercased() })
        let answeredNames = ReplaySession.distinct(queries.filter { !$0.reply.answers.isEmpty }.map { $0.question.name.description.lowercased() })
        checks += servingChecks(expect, addresses: connections.map(\.destination), names: answeredNames, counts: counts)
        if let searchQueries = expect.searchQueries {
            let expected = searchQueries.map(ReplaySession.absolute)
            let actual = ReplaySession.distinct(queries.filter { $0.reply.rcode == .nxDomain }.map { $0.question.name.description.lowercased() })
            checks.append(Check(expectation: "searchQueries", passed: actual == expected, expected: expected, actual: actual))
        }
        checks += ReplaySession.queryChecks(expect, sent: names, declared: [])
        let distribution = counts.keys.sorted().map { (pod: $0, count: counts[$0] ?? 0) }
        var report = StepReport(
            index: index, name: step.name, kind: step.kind, line: step.location.line, observations: observations, distribution: distribution, checks: checks)
        report.capturedValue = outcome.output.split(separator: "\n").first.map(String.init)
        // the diagram in time order; each connection ends one "repeat" (a curl run: lookups, then a connection)
        var events: [(time: Int64, exchange: (Int) -> Exchange, endsRepeat: Bool)] = []
        for query in queries {
            let answers = query.reply.answers.map(ReplaySession.answerText)
            let question = "\(query.question.name) \(query.question.type)"
            let reply = ([query.reply.rcode.description] + answers).joined(separator: " ")
            events.append((query.time, { .dns(repeat: $0, question: question, reply: reply) }, false))
        }
        for connection in connections {
            let destination = "\(connection.destination):\(connection.port)"
            let outcome = connection.kind == .refused ? "refused" : "connected"
            events.append(
                (
                    connection.time,
                    {
                        .http(
                            repeat: $0, request: "connect", destination: destination, viaService: connection.kind != .pod, pod: connection.backend,
                            outcome: outcome)
                    },
                    true
                ))
        }
        var repeatNumber = 1
        for event in events.sorted(by: { $0.time < $1.time }) {
            report.exchanges.append(event.exchange(repeatNumber))
            if event.endsRepeat { repeatNumber += 1 }
        }
        return report
    }

    /// One line per distinct question: `NAME TYPE RCODE answers (sorted)`, `×N` when repeated.
    static func queryLines(_ queries: [ClusterDNSQueryHandler.AnsweredQuery]) -> [String] {
        var counts: [String: Int] = [:]
        for query in queries {
            let answers = query.reply.answers.map(answerText).sorted()
            let line =
                "dns \(query.question.name.description.lowercased()) \(query.question.type) \(query.reply.rcode)"
                + (answers.isEmpty ? "" : " " + answers.joined(separator: " "))
            counts[line, default: 0] += 1
        }
        return counts.keys.sorted().map { line in counts[line] == 1 ? line : "\(line) ×\(counts[line] ?? 0)" }
    }

    /// `connect ADDRESS:PORT (service IP) → namespace/pod`.
    static func connectionLine(_ connection: AcceptedConnection, kind: String) -> String {
        let host = connection.destination.isIPv4 ? "\(connection.destination)" : "[\(connection.destination)]"
        let head = "connect \(host):\(connection.port) (\(kind))"
        switch connection.kind {
        case .refused: return head + " refused (no ready endpoints)"
        case .forwarded: return head + " forwarded to \(connection.backend ?? "?")"
        case .pod: return head + " served by \(connection.backend ?? "?")"
        }
    }

    static func trimmedTrailingNewlines(_ text: String) -> String {
        var text = Substring(text)
        while text.last == "\n" || text.last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
