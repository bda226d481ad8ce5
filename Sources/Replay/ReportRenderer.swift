/// Renders a ``Report`` as text, JSON, JUnit XML or Markdown. Every form depends only on the
/// report, so equal reports give byte-identical output.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text
    case json
    case junit
    case markdown

    /// The report in this format, ending in a newline.
    public func render(_ report: Report) -> String {
        switch self {
        case .text: return ReportFormat.text(report)
        case .json: return ReportFormat.json(report)
        case .junit: return ReportFormat.junit(report)
        case .markdown: return ReportFormat.markdown(report)
        }
    }

    // MARK: text

    static func text(_ report: Report) -> String {
        var out = ""
        for scenario in report.scenarios {
            out += "\(scenario.passed ? "PASS" : "FAIL") \(scenario.name) (\(scenario.file), seed \(scenario.seed))\n"
            for step in scenario.steps {
                out += "  \(step.passed ? "pass" : "FAIL") \(step.index). \(step.name)"
                if let timing = step.timing {
                    out += " (\(ReportFormat.milliseconds(timing.microseconds)) ms)\n"
                    for detail in timing.details { out += "       \(detail)\n" }
                } else {
                    out += "\n"
                }
                for check in step.checks where !check.passed {
                    out += "       \(check.expectation) does not hold (\(scenario.file):\(step.line)):\n"
                    for line in check.diff { out += "         \(line)\n" }
                }
            }
        }
        let scenariosFailed = report.scenarios.filter { !$0.passed }.count
        out += "\(report.scenarios.count) scenario\(report.scenarios.count == 1 ? "" : "s"), \(report.stepCount) steps: "
        out +=
            report.passed
            ? "all expectations hold\n"
            : "\(report.failedStepCount) step\(report.failedStepCount == 1 ? "" : "s") failed in \(scenariosFailed) scenario\(scenariosFailed == 1 ? "" : "s")\n"
        return out
    }

    // MARK: JSON

    static func json(_ report: Report) -> String {
        let value: JSONValue = .object([
            ("schemaVersion", .number(Report.schemaVersion)),
            ("passed", .bool(report.passed)),
            (
                "scenarios",
                .array(
                    report.scenarios.map { scenario in
                        .object([
                            ("name", .string(scenario.name)),
                            ("file", .string(scenario.file)),
                            ("seed", .string(String(scenario.seed))),
                            ("passed", .bool(scenario.passed)),
                            (
                                "steps",
                                .array(
                                    scenario.steps.map { step in
                                        var fields: [(String, JSONValue)] = [
                                            ("index", .number(step.index)),
                                            ("name", .string(step.name)),
                                            ("kind", .string(step.kind)),
                                            ("line", .number(step.line)),
                                            ("passed", .bool(step.passed)),
                                            ("observations", .array(step.observations.map(JSONValue.string))),
                                        ]
                                        if !step.distribution.isEmpty {
                                            fields.append(("distribution", .object(step.distribution.map { ($0.pod, .number($0.count)) })))
                                        }
                                        if let timing = step.timing {
                                            fields.append(
                                                (
                                                    "timing",
                                                    .object([
                                                        ("microseconds", .number(timing.microseconds)),
                                                        ("details", .array(timing.details.map(JSONValue.string))),
                                                    ])
                                                ))
                                        }
                                        fields.append(
                                            (
                                                "checks",
                                                .array(
                                                    step.checks.map { check in
                                                        .object([
                                                            ("expectation", .string(check.expectation)),
                                                            ("passed", .bool(check.passed)),
                                                            ("expected", .array(check.expected.map(JSONValue.string))),
                                                            ("actual", .array(check.actual.map(JSONValue.string))),
                                                        ])
                                                    })
                                            ))
                                        return .object(fields)
                                    })
                            ),
                        ])
                    })
            ),
        ])
        var text = ""
        value.write(into: &text, indent: 0)
        return text + "\n"
    }

    /// `1.234` from 1234 µs.
    static func milliseconds(_ microseconds: Int) -> String {
        "\(microseconds / 1000).\(String(microseconds % 1000).leftPadded(3))"
    }

    /// `0.001234` from 1234 µs.
    static func seconds(_ microseconds: Int) -> String {
        "\(microseconds / 1_000_000).\(String(microseconds % 1_000_000).leftPadded(6))"
    }

    // MARK: JUnit

    static func junit(_ report: Report) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"kubetape\" tests=\"\(report.stepCount)\" failures=\"\(report.failedStepCount)\">\n"
        for scenario in report.scenarios {
            let failures = scenario.steps.filter { !$0.passed }.count
            out += "  <testsuite name=\"\(xml(scenario.name))\" tests=\"\(scenario.steps.count)\" failures=\"\(failures)\" file=\"\(xml(scenario.file))\">\n"
            for step in scenario.steps {
                let name = "\(step.index). \(step.name)"
                out += "    <testcase classname=\"\(xml(scenario.name))\" name=\"\(xml(name))\" file=\"\(xml(scenario.file))\" line=\"\(step.line)\""
                if let timing = step.timing { out += " time=\"\(ReportFormat.seconds(timing.microseconds))\"" }
                let failed = step.checks.filter { !$0.passed }
                if failed.isEmpty {
                    out += "/>\n"
                    continue
                }
                out += ">\n"
                let message = failed.map { "\($0.expectation) does not hold" }.joined(separator: "; ")
                var body = ""
                for check in failed {
                    body += "\(check.expectation):\n" + check.diff.joined(separator: "\n") + "\n"
                }
                out += "      <failure message=\"\(xml(message))\" type=\"expectation\">\(xml(body))</failure>\n"
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    static func xml(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 forbids most control characters
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    // MARK: Markdown

    static func markdown(_ report: Report) -> String {
        var out = "# kubetape report\n\n"
        out += report.passed ? "All \(report.stepCount) steps hold.\n\n" : "\(report.failedStepCount) of \(report.stepCount) steps failed.\n\n"
        out += "| scenario | steps | result |\n| --- | --- | --- |\n"
        for scenario in report.scenarios {
            out += "| \(cell(scenario.name)) | \(scenario.steps.count) | \(scenario.passed ? "pass" : "**FAIL**") |\n"
        }
        for scenario in report.scenarios {
            out += "\n## \(scenario.name)\n\n`\(scenario.file)`, seed \(scenario.seed)\n\n"
            for step in scenario.steps {
                out += "- \(step.passed ? "✅" : "❌") \(step.index). \(cell(step.name))\n"
                for check in step.checks where !check.passed {
                    out += "\n  ```diff\n"
                    for line in check.diff { out += "  \(line)\n" }
                    out += "  ```\n\n"
                }
                if !step.exchanges.isEmpty {
                    out += mermaid(step, client: scenario.client)
                }
                if !step.distribution.isEmpty {
                    let total = step.distribution.reduce(0) { $0 + $1.count }
                    out += "\n  | pod | requests | share |\n  | --- | --- | --- |\n"
                    for entry in step.distribution {
                        out += "  | \(cell(entry.pod)) | \(entry.count) | \(entry.count * 100 / max(total, 1))% |\n"
                    }
                    out += "\n"
                }
            }
        }
        return out
    }

    /// Repeats drawn in a step's sequence diagram.
    static let diagramRepeats = 3

    /// A Mermaid sequence diagram of the step's first repeats.
    static func mermaid(_ step: StepReport, client: String) -> String {
        let shown = step.exchanges.filter { $0.repeatNumber <= diagramRepeats }
        var participants: [(id: String, label: String)] = [("C", client)]
        func participant(_ label: String, prefix: String) -> String {
            if let existing = participants.first(where: { $0.label == label && $0.id.hasPrefix(prefix) }) { return existing.id }
            let id = "\(prefix)\(participants.filter { $0.id.hasPrefix(prefix) }.count + 1)"
            participants.append((id, label))
            return id
        }
        var lines: [String] = []
        var lastRepeat = 0
        for exchange in shown {
            if exchange.repeatNumber != lastRepeat, step.exchanges.contains(where: { $0.repeatNumber > 1 }) {
                lines.append("Note over C: repeat \(exchange.repeatNumber)")
                lastRepeat = exchange.repeatNumber
            }
            switch exchange {
            case .dns(_, let question, let reply):
                let dns = participant("cluster DNS", prefix: "D")
                lines.append("C->>\(dns): \(mermaidText(question))")
                lines.append("\(dns)-->>C: \(mermaidText(reply))")
            case .http(_, let request, let destination, let viaService, let pod, let outcome):
                if viaService {
                    let service = participant("service \(destination)", prefix: "S")
                    lines.append("C->>\(service): \(mermaidText(request)) to \(destination)")
                    if let pod {
                        let target = participant(pod, prefix: "P")
                        lines.append("\(service)->>\(target): forwarded")
                        lines.append("\(target)-->>C: \(mermaidText(outcome))")
                    } else {
                        lines.append("\(service)-->>C: \(mermaidText(outcome))")
                    }
                } else {
                    let target = participant(pod ?? destination, prefix: "P")
                    lines.append("C->>\(target): \(mermaidText(request)) to \(destination)")
                    lines.append("\(target)-->>C: \(mermaidText(outcome))")
                }
            }
        }
        let total = step.exchanges.map(\.repeatNumber).max() ?? 0
        var out = "\n  ```mermaid\n  sequenceDiagram\n"
        for p in participants { out += "    participant \(p.id) as \(mermaidText(p.label))\n" }
        for line in lines { out += "    \(line)\n" }
        out += "  ```\n"
        if total > diagramRepeats { out += "\n  (repeats 1–\(diagramRepeats) of \(total) drawn)\n" }
        return out + "\n"
    }

    /// Mermaid message text: no semicolons, hashes or line breaks.
    static func mermaidText(_ text: String) -> String {
        String(text.map { $0 == ";" ? "," : ($0 == "#" ? " " : ($0 == "\n" ? " " : $0)) })
    }

    static func cell(_ text: String) -> String {
        text.replacing("|", with: "\\|")
    }
}

/// A JSON value with ordered object keys, written deterministically (two-space indentation).
enum JSONValue {
    case string(String)
    case number(Int)
    case bool(Bool)
    case array([JSONValue])
    case object([(String, JSONValue)])

    func write(into out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch self {
        case .string(let text): JSONValue.quote(text, into: &out)
        case .number(let n): out += String(n)
        case .bool(let b): out += b ? "true" : "false"
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.write(into: &out, indent: indent + 1)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "]"
        case .object(let fields):
            if fields.isEmpty {
                out += "{}"
                return
            }
            out += "{\n"
            for (i, (key, value)) in fields.enumerated() {
                out += pad
                JSONValue.quote(key, into: &out)
                out += ": "
                value.write(into: &out, indent: indent + 1)
                out += i == fields.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "}"
        }
    }

    static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

extension String {
    /// Zeros in front up to `width` characters.
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
