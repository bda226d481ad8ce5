import Foundation
import Testing

/// Runs the built `kubetape` binary and checks its exit-code contract:
/// 0 success, 1 expectations failed, 2 bad input or usage (never ArgumentParser's 64).
struct CLIExitCodeTests {
    @Test func versionPrintsAndExitsZero() throws {
        let result = try KubetapeBinary.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test func helpListsSubcommandsAndExitsZero() throws {
        let result = try KubetapeBinary.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: kubetape"))
        #expect(result.stdout.contains("decode"))
    }

    @Test(arguments: [
        ["--no-such-flag"],
        ["decode"],
        ["decode", "--binary", "--file", "x"],
        ["no-such-subcommand"],
    ])
    func usageErrorsExitTwo(arguments: [String]) throws {
        let result = try KubetapeBinary.run(arguments)
        #expect(result.status == 2, "kubetape \(arguments) exited \(result.status), stderr: \(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }

    @Test func malformedMessageIsBadInputWithOffset() throws {
        // header claims one question, but the message ends after the header
        let result = try KubetapeBinary.run(["decode", "000001000001000000000000"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("truncated at offset 12"))
    }

    @Test func decodesAMessage() throws {
        let hex = "4b1d850000010001000000000571756f7465056b69616461037376630763" + "6c7573746572056c6f63616c0000010001c00c000100010000001e00040a60a161"
        let result = try KubetapeBinary.run(["decode", hex])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("status: NOERROR, id: 19229"))
        #expect(result.stdout.contains("10.96.161.97"))
    }
}

/// Finds and runs the kubetape executable built by `swift build`.
enum KubetapeBinary {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["KUBETAPE_BIN"] { return explicit }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/kubetape").path
    }

    static func run(_ arguments: [String], stdin: Data? = nil) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BinaryMissing(path: path)
        }
        return try runProgram(path, arguments, stdin: stdin)
    }

    /// Runs any program with a pipe on each standard descriptor.
    static func runProgram(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        var path: String
        var description: String { "kubetape binary not found at \(path): run `swift build` first (scripts/test.sh does), or set KUBETAPE_BIN" }
    }
}
