import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// The `kubetape` command: one root, one subcommand per file.
@main
struct Kubetape: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "kubetape",
        abstract: "Record, replay and teach how Kubernetes cluster DNS and HTTP behave for headless and cluster-IP services.",
        version: version,
        subcommands: [Decode.self, Inspect.self, Serve.self, Exec.self, Resolve.self, Capture.self, Run.self, Diff.self]
    )

    /// Parses and runs, mapping outcomes onto kubetape's exit codes:
    /// 0 success, 1 expectations failed, 2 bad input or usage.
    static func main() async {
        StandardDescriptors.ensureOpen()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withKubetapeError: error)
        }
    }

    /// Prints the error as ArgumentParser would and exits with kubetape's code: an explicit
    /// `ExitCode` is kept (1 = expectations failed), help and version exit 0, and every usage
    /// error or bad input exits 2 (never ArgumentParser's 64).
    static func exit(withKubetapeError error: Error) -> Never {
        if let explicit = error as? ExitCode {
            Glibc.exit(explicit.rawValue)
        }
        let message = fullMessage(for: error)
        if exitCode(for: error) == .success {
            print(message)
            Glibc.exit(0)
        }
        if !message.isEmpty {
            FileHandleOutput.standardError(message)
        }
        Glibc.exit(2)
    }
}

/// Keeps descriptors 0, 1 and 2 taken: when kubetape is started with one of them closed (as CI
/// runs it without standard input), /dev/null stands in, so that no socket or file of ours (or of a
/// command `exec` runs, such as nslookup, whose libuv aborts on it) ever becomes descriptor 0.
enum StandardDescriptors {
    static func ensureOpen() {
        for descriptor in Int32(0)...2 where fcntl(descriptor, F_GETFD) == -1 {
            // open() returns the lowest free descriptor: this one
            _ = open("/dev/null", O_RDWR)
        }
    }
}

/// Writes diagnostics to standard error, unbuffered.
enum FileHandleOutput {
    static func standardError(_ text: String) {
        Descriptor.write(2, text.hasSuffix("\n") ? text : text + "\n")
    }
}

/// Unbuffered output with write(2), retried until every byte is out (or the descriptor fails):
/// the one write loop of the CLI, for diagnostics, `ready` lines and buffered reports alike.
enum Descriptor {
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written <= 0 { break }
            offset += written
        }
    }

    static func write(_ descriptor: Int32, _ text: String) {
        Array(text.utf8).withUnsafeBytes { write(descriptor, $0) }
    }
}

/// Errors the CLI reports as "bad input" (exit 2) with a precise message.
struct BadInput: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
