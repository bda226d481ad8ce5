import DNSWire
import Testing

@testable import FakeCluster

/// The log keeps at least its latest `limit` entries and no more than twice that.
@Suite struct ServedRequestLogTests {
    func connection(_ number: Int) -> AcceptedConnection {
        AcceptedConnection(
            time: Int64(number), kind: .pod, client: "10.244.1.20:\(40000 + number)", destination: .v4(IPv4Address(0x0af4_0209)), port: 80,
            backend: "kiada/quote-canary", connection: number)
    }

    @Test func keepsTheLatestWithinTwiceTheLimit() {
        let log = ServedRequestLog(limit: 100)
        for number in 1...1000 { log.record(connection(number)) }
        let kept = log.connections
        #expect(kept.count >= 100 && kept.count < 200)
        #expect(kept.last?.connection == 1000)
        #expect(kept.map(\.connection) == Array((1001 - kept.count)...1000))
    }

    @Test func withoutALimitEverythingIsKept() {
        let log = ServedRequestLog()
        for number in 1...1000 { log.record(connection(number)) }
        #expect(log.connections.count == 1000)
    }
}
