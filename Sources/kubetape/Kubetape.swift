import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// The `kubetape` command: one root, one subcommand per file.
@main
struct Kubetape: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "kubetape",
        abstract: "Record, replay and teach how Kubernetes cluster DNS and HTTP behave for headless and cluster-IP services.",
        version: version,
        subcommands: [Decode.self]
    )

    /// Parses and runs, mapping outcomes onto kubetape's exit codes:
    /// 0 success, 1 expectations failed, 2 bad input or usage.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withKubetapeError: error)
        }
    }

    static func exit(withKubetapeError error: Error) -> Never {
        let code = exitCode(for: error)
        if code == .success {
            // --help and --version
            print(fullMessage(for: error))
            Glibc.exit(0)
        }
        let message = fullMessage(for: error)
        if !message.isEmpty {
            FileHandleOutput.standardError(message)
        }
        switch code {
        case .success: Glibc.exit(0)
        case ExitCode(1): Glibc.exit(1)
        case .validationFailure: Glibc.exit(2)
        default: Glibc.exit(code.rawValue == 1 ? 1 : 2)
        }
    }
}

/// Writes diagnostics to standard error, unbuffered.
enum FileHandleOutput {
    static func standardError(_ text: String) {
        let line = text.hasSuffix("\n") ? text : text + "\n"
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { raw in
                write(2, raw.baseAddress! + offset, raw.count - offset)
            }
            if written <= 0 { break }
            offset += written
        }
    }
}

/// Errors the CLI reports as "bad input" (exit 2) with a precise message.
struct BadInput: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
