import Foundation

/// An unmodified program run inside a client pod's network namespace, with the pod's hostname in
/// a UTS namespace of its own (`ip netns exec NS unshare --uts -- sh -c 'hostname …; exec …'`), as
/// `kubectl exec` would run it in the pod. `ip`, `unshare` and `sh` exec one another, so the PID
/// this class holds is the program's: a signal or a timeout reaches the program itself.
public final class PodCommand: @unchecked Sendable {
    /// How a finished command ended.
    public struct Outcome: Hashable, Sendable {
        /// The exit status; 128 + N when signal N ended it.
        public var status: Int32
        /// Standard output and error when captured (at most ``PodCommand/outputLimit`` bytes each).
        public var output: String
        public var errorOutput: String
        /// True when the timeout ended it.
        public var timedOut: Bool
    }

    /// Bytes of each captured stream kept for the report.
    public static let outputLimit = 1 << 20

    public let namespace: NetworkNamespace
    public let hostname: String
    public let arguments: [String]
    private let lock = NSLock()
    private var pid: Int32?
    private var exited = false
    private var timedOut = false

    public init(namespace: NetworkNamespace, hostname: String, arguments: [String]) {
        self.namespace = namespace
        self.hostname = hostname
        self.arguments = arguments
    }

    /// The `ip` command line that runs the program in the pod.
    public var launchArguments: [String] {
        ["netns", "exec", namespace.name, "unshare", "--uts", "--", "/bin/sh", "-c", "hostname \"$0\" && exec \"$@\"", hostname] + arguments
    }

    /// Runs to completion. With `capturing`, standard input is /dev/null and the output is
    /// returned; otherwise the program shares kubetape's standard streams. After `timeout` the
    /// program and everything else left in the namespace get SIGKILL.
    public func run(capturing: Bool, timeout: Duration? = nil) async throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: IPCommand.path)
        process.arguments = launchArguments
        let outputPipe = Pipe()
        let errorPipe = Pipe()
        if capturing {
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = outputPipe
            process.standardError = errorPipe
        } else {
            process.standardInput = FileHandle.standardInput
            process.standardOutput = FileHandle.standardOutput
            process.standardError = FileHandle.standardError
        }
        var drains: [PipeDrain] = []
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in
                self.lock.lock()
                self.exited = true
                self.lock.unlock()
                let code = finished.terminationReason == .uncaughtSignal ? 128 + finished.terminationStatus : finished.terminationStatus
                continuation.resume(returning: code)
            }
            do {
                try process.run()
                lock.lock()
                pid = process.processIdentifier
                lock.unlock()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            // read while it runs: a program that fills a pipe's buffer would otherwise block forever
            if capturing { drains = [PipeDrain(outputPipe.fileHandleForReading), PipeDrain(errorPipe.fileHandleForReading)] }
            if let timeout {
                let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                    guard isRunning else { return }
                    lock.lock()
                    timedOut = true
                    lock.unlock()
                    killEverything()
                }
            }
        }
        var texts = ["", ""]
        for (index, drain) in drains.enumerated() {
            // a background process the program left behind may hold the pipe open: end it
            if !drain.finish(within: .seconds(2)) {
                killEverything()
                _ = drain.finish(within: .seconds(2))
            }
            texts[index] = drain.text
        }
        let killed = lock.withLock { timedOut }
        return Outcome(status: status, output: texts[0], errorOutput: texts[1], timedOut: killed)
    }

    /// True between start and exit.
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return pid != nil && !exited
    }

    /// Forwards a signal to the program, if it runs.
    public func signal(_ number: Int32) {
        lock.lock()
        let target = exited ? nil : pid
        lock.unlock()
        if let target { kill(target, number) }
    }

    /// SIGKILL to the program and to every process left in its namespace (all started by it).
    public func killEverything() {
        signal(SIGKILL)
        namespace.killProcesses()
    }

}

/// Reads a pipe to its end on a thread of its own, keeping the first ``PodCommand/outputLimit`` bytes.
final class PipeDrain: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    init(_ handle: FileHandle) {
        let fd = handle.fileDescriptor
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                lock.lock()
                if bytes.count < PodCommand.outputLimit { bytes += buffer[0..<min(n, PodCommand.outputLimit - bytes.count)] }
                lock.unlock()
            }
            withExtendedLifetime(handle) {}
            done.signal()
        }
    }

    /// Waits for the end of the stream; false when it did not come in time.
    func finish(within timeout: Duration) -> Bool {
        let seconds = Double(timeout.components.seconds)
        guard done.wait(timeout: .now() + seconds) == .success else { return false }
        done.signal()
        return true
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
