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
                statistics = try capture.run { packet in try writer.write(packet) }
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
        // let the last replies (FIN/ACKs) reach the capture buffer first
        usleep(100_000)
        capture.requestStop()
        finished.wait()
        capture.close()
        if let failure { throw failure }
        return (writer.packetsWritten, statistics)
    }
}
