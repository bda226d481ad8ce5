import ArgumentParser
import Foundation
import Replay

/// `kubetape diff`: what changed in behaviour between two JSON reports.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what changed between two JSON reports of kubetape run.",
        discussion: "Exit 0 when they describe the same behaviour, 1 when anything changed, 2 for unreadable input."
    )

    @Argument(help: "The earlier report (kubetape run --format json).")
    var old: String

    @Argument(help: "The later report.")
    var new: String

    func run() throws {
        guard let oldData = FileManager.default.contents(atPath: old) else { throw BadInput("\(old): cannot read file") }
        guard let newData = FileManager.default.contents(atPath: new) else { throw BadInput("\(new): cannot read file") }
        let diff: ReportDiff
        do {
            diff = try ReportDiff(old: oldData, oldName: old, new: newData, newName: new)
        } catch let error as ReplayError {
            throw BadInput("\(error)")
        }
        if diff.isEmpty {
            print("no behaviour changed")
            return
        }
        print(diff.lines.joined(separator: "\n"))
        throw ExitCode(1)
    }
}
