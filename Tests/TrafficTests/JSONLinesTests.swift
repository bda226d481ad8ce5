import DNSWire
import Foundation
import PacketCapture
import Testing
import Traffic

/// The JSON Lines written straight into bytes must say exactly what the event values say.
@Suite struct JSONLinesTests {
    @Test(arguments: Fixtures.captures)
    func everyEventsJSONMatchesItsValues(capture: String) throws {
        let decoded = decode(try Fixtures.packets(capture)) { $0.dnsPorts = [53, 5353, 5355] }
        for event in decoded.events {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(event.jsonLine.utf8)) as? [String: Any], "\(capture) frame \(event.frame): not JSON")
            #expect(object["frame"] as? Int == event.frame)
            #expect(object["frames"] as? [Int] == event.frames)
            if let dns = event.dns {
                let m = dns.message
                #expect(object["kind"] as? String == "dns")
                #expect(object["src"] as? String == event.source.description)
                #expect(object["dst"] as? String == event.destination.description)
                #expect(object["id"] as? Int == Int(m.header.id))
                #expect(object["rcode"] as? String == m.rcode.description)
                #expect(object["qname"] as? String == m.question?.name.description)
                #expect(object["qtype"] as? String == m.question?.type.description)
                let sections: [(String, [ResourceRecord])] = [
                    ("answers", m.answers), ("authority", m.authority), ("additional", m.additional.filter { $0.type != .opt }),
                ]
                for (key, records) in sections {
                    let list = try #require(object[key] as? [[String: Any]])
                    #expect(list.count == records.count)
                    for (json, record) in zip(list, records) {
                        #expect(json["name"] as? String == record.name.description, "\(capture) frame \(event.frame)")
                        #expect(json["type"] as? String == record.type.description)
                        #expect(json["class"] as? String == record.rrClass.description)
                        #expect(json["ttl"] as? Int == Int(record.ttl))
                        #expect(json["data"] as? String == record.data.presentation, "\(capture) frame \(event.frame)")
                    }
                }
                if let latency = dns.latencyNanoseconds {
                    let ms = try #require(object["latencyMs"] as? Double)
                    #expect(abs(ms - Double(latency) / 1e6) < 0.001)
                }
            } else if let http = event.http {
                #expect(object["kind"] as? String == "http")
                #expect(object["client"] as? String == http.client.description)
                #expect(object["server"] as? String == http.server.description)
                #expect(object["method"] as? String == http.request?.method)
                #expect(object["uri"] as? String == http.request?.uri)
                #expect(object["status"] as? Int == http.response?.status)
            }
        }
    }

    @Test func namesWithSpecialCharactersAreEscapedLikeDNSNameDescription() throws {
        let name = try DNSName(labels: [Array(",.".utf8), Array("a\"b\\c".utf8), [0x00, 0xff, 0x20], Array("$@();".utf8)])
        let q = DNSMessage.query(id: 1, name: name, type: .txt)
        let event = try #require(decode([Build.udpDNS(1, "10.0.0.1", 4000, "10.0.0.2", 53, q)]).events.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(event.jsonLine.utf8)) as? [String: Any])
        #expect(object["qname"] as? String == name.description)
        #expect(object["time"] as? String == "1700000000.000000000")
    }
}
