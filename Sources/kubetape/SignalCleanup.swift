import Foundation

/// SIGINT/SIGTERM delivered as ordinary callbacks: a C handler writes the signal number to a
/// self-pipe and a watcher thread calls the registered handlers in order.
enum TerminationSignals {
    private nonisolated(unsafe) static var pipeFDs: [Int32] = [-1, -1]
    private static let lock = NSLock()
    private nonisolated(unsafe) static var handlers: [(Int32) -> Void] = []
    private nonisolated(unsafe) static var installed = false
    private nonisolated(unsafe) static var received: Int32?

    /// The first signal received so far, if any.
    static var receivedSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Adds a handler; the first call installs the signal handlers and the watcher thread.
    static func onSignal(_ handler: @escaping (Int32) -> Void) {
        lock.lock()
        handlers.append(handler)
        let needsInstall = !installed
        installed = true
        lock.unlock()
        if needsInstall { install() }
    }

    private static func install() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        pipeFDs = fds
        // a parent (e.g. a test runner spawning us) may have left these blocked: unblock them in
        // this thread, and the watcher thread below inherits the mask
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for number in [SIGINT, SIGTERM] {
            signal(number) { received in
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(TerminationSignals.pipeFDs[1], &byte, 1)
            }
        }
        let watcher = Thread {
            var byte: UInt8 = 0
            while read(TerminationSignals.pipeFDs[0], &byte, 1) == 1 {
                lock.lock()
                if received == nil { received = Int32(byte) }
                let current = handlers
                lock.unlock()
                for handler in current { handler(Int32(byte)) }
            }
        }
        watcher.start()
    }
}

/// Runs a cleanup exactly once: at normal exit (call ``run()``) or, when `exitOnSignal` is set,
/// on SIGINT/SIGTERM, after which the process exits with 128 + signal as shells report it.
final class SignalCleanup: @unchecked Sendable {
    private let lock = NSLock()
    private var action: (() -> Void)?
    /// Called on a signal before anything else, e.g. to stop a child process.
    var onSignal: (@Sendable (Int32) -> Void)?
    /// Decides at signal time whether to clean up and exit (default: the `exitOnSignal` given).
    var exitsOnSignal: @Sendable () -> Bool

    init(exitOnSignal: Bool = true, _ action: @escaping () -> Void) {
        self.action = action
        self.exitsOnSignal = { exitOnSignal }
        TerminationSignals.onSignal { [weak self] number in
            guard let self else { return }
            self.onSignal?(number)
            if self.exitsOnSignal() {
                self.run()
                exit(128 + number)
            }
        }
    }

    /// Runs the cleanup if it has not run yet.
    func run() {
        lock.lock()
        let pending = action
        action = nil
        lock.unlock()
        pending?()
    }

    /// Suspends until SIGINT or SIGTERM (for commands that serve until told to stop).
    static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(continuation)
            TerminationSignals.onSignal { _ in once.resume() }
            // a signal that came before this call (e.g. while starting up) counts too
            if TerminationSignals.receivedSignal != nil { once.resume() }
        }
    }

    private final class ResumeOnce: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Void, Never>?
        init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
        func resume() {
            lock.lock()
            let pending = continuation
            continuation = nil
            lock.unlock()
            pending?.resume()
        }
    }
}

/// Unbuffered writes to standard output, so that `ready` reaches a pipe at once.
enum ImmediateStdout {
    static func write(_ text: String) {
        Descriptor.write(1, text)
    }
}
