import FakeCluster
import Foundation
import PacketCapture

/// Records every packet of a network namespace kubetape made (`any` inside it: the client pod's veth
/// and the cluster side's loopback, so both the client's view and the forwarder's second leg show)
/// to a pcap file, on a thread of its own, until stopped.
final class NamespaceRecorder: @unchecked Sendable {
    private let capture: LiveCapture
    private let writer: PcapWriter
    private let finished = DispatchSemaphore(value: 0)
    private var failure: Error?
    private(set) var statistics: LiveCaptureStatistics?
    /// Packets written so far, counted under `lock` (read while the capture thread writes).
    private let lock = NSLock()
    private var written = 0

    /// Opens the capture inside `namespace` (the socket stays there) and starts writing `path`.
    init(namespace: NetworkNamespace, path: String) throws {
        var configuration = LiveCaptureConfiguration(interface: "any")
        configuration.immediateMode = true
        configuration.readTimeoutMilliseconds = 20
        configuration.linkType = .linuxSLL2
        let captureConfiguration = configuration
        capture = try namespace.perform { try LiveCapture(configuration: captureConfiguration) }
        do {
            writer = try PcapWriter(path: path, linkType: capture.linkType, snapLength: configuration.snapLength)
        } catch {
            capture.close()
            throw error
        }
        let thread = Thread { [self] in
            do {
                statistics = try capture.run { packet in
                    try writer.write(packet)
                    lock.withLock { written += 1 }
                }
                try writer.flush()
            } catch {
                failure = error
            }
            finished.signal()
        }
        thread.start()
    }

    /// Stops after the packets already queued, flushes and closes the file; returns the figures.
    func stop() throws -> (written: Int, statistics: LiveCaptureStatistics?) {
        // let the last replies (FIN/ACKs) reach the file first: wait until nothing new has been
        // written for 150 ms (at most 2 s), which holds on a busy machine where a fixed pause did not
        var last = lock.withLock { written }
        var quiet = 0
        for _ in 0..<200 where quiet < 15 {
            usleep(10_000)
            let now = lock.withLock { written }
            quiet = now == last ? quiet + 1 : 0
            last = now
        }
        capture.requestStop()
        finished.wait()
        capture.close()
        if let failure { throw failure }
        return (writer.packetsWritten, statistics)
    }
}
