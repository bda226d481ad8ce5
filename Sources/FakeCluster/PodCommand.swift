import CNetNamespace
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
    ///
    /// Spawned with posix_spawn and reaped with waitpid on a thread of its own: the step ends when
    /// the program exits, even if a background process it started still holds its output (which
    /// Foundation's Process would wait for); what is left in the namespace then gets SIGKILL.
    public func run(capturing: Bool, timeout: Duration? = nil) async throws -> Outcome {
        var outputFDs: [Int32] = [-1, -1]
        var errorFDs: [Int32] = [-1, -1]
        if capturing {
            guard pipe(&outputFDs) == 0, pipe(&errorFDs) == 0 else { throw NetnsError("pipe(): \(String(cString: strerror(errno)))") }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if capturing {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, outputFDs[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errorFDs[1], 2)
            for fd in outputFDs + errorFDs { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        // nothing else of kubetape's (listening sockets, event loop descriptors) reaches the program
        kubetape_spawn_close_from(&actions, 3)
        // the program gets the default signal dispositions and an empty mask, whatever kubetape set
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = [IPCommand.path] + launchArguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, IPCommand.path, &actions, &attributes, &cArguments, environ)
        if capturing {
            close(outputFDs[1])
            close(errorFDs[1])
        }
        guard spawned == 0 else {
            if capturing {
                close(outputFDs[0])
                close(errorFDs[0])
            }
            throw NetnsError("cannot run \(IPCommand.path): \(String(cString: strerror(spawned)))")
        }
        let spawnedPID = child
        lock.withLock { pid = spawnedPID }
        // read while it runs: a program that fills a pipe's buffer would otherwise block forever
        let drains = capturing ? [PipeDrain(fd: outputFDs[0]), PipeDrain(fd: errorFDs[0])] : []
        if let timeout {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
                guard isRunning else { return }
                lock.withLock { timedOut = true }
                killEverything()
            }
        }
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                var raw: Int32 = 0
                while waitpid(spawnedPID, &raw, 0) < 0 && errno == EINTR {}
                lock.withLock { exited = true }
                // WIFSIGNALED / WTERMSIG / WEXITSTATUS
                let signal = raw & 0x7f
                continuation.resume(returning: signal != 0 ? 128 + signal : (raw >> 8) & 0xff)
            }
        }
        var texts = ["", ""]
        for (index, drain) in drains.enumerated() {
            // a background process the program left behind may hold the pipe open: end it
            if !drain.finish(within: .seconds(2)) {
                namespace.killProcesses()
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

    /// Takes over `fd` (closed at the end of the stream).
    init(fd: Int32) {
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
            close(fd)
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
