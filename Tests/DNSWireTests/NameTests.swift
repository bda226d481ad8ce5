import DNSWire
import Testing

/// Names: case kept and compared without it, escaped presentation, and the RFC 1035 limits.
struct NameTests {
    @Test func caseIsPreservedAndComparedInsensitively() throws {
        let mixed: DNSName = "Quote.KIADA.svc.Cluster.Local."
        let lower: DNSName = "quote.kiada.svc.cluster.local."
        #expect(mixed == lower)
        #expect(mixed.hashValue == lower.hashValue)
        #expect(Set([mixed, lower]).count == 1)
        #expect(!mixed.isIdentical(to: lower))
        #expect(mixed.description == "Quote.KIADA.svc.Cluster.Local.")
        #expect(mixed.lowercased().isIdentical(to: lower))
        #expect(mixed.isSubdomain(of: "CLUSTER.local."))
        #expect(!mixed.isSubdomain(of: "ster.local."))
        #expect(mixed.dropping(first: 3) == "cluster.local.")
        #expect(try DNSName("quote", origin: "Kiada.svc.cluster.local.").description == "quote.Kiada.svc.cluster.local.")
        // only ASCII letters fold: 0xC4 and 0xE4 stay different
        #expect(try DNSName(labels: [[0xC4]]) != DNSName(labels: [[0xE4]]))
    }

    @Test(arguments: [
        (#"we\.ird\032label.k8s."#, [Array("we.ird label".utf8), Array("k8s".utf8)], #"we\.ird\032label.k8s."#),
        (#"a\\b.k8s."#, [Array(#"a\b"#.utf8), Array("k8s".utf8)], #"a\\b.k8s."#),
        (#"\000\255\127.k8s."#, [[0, 255, 127], Array("k8s".utf8)], #"\000\255\127.k8s."#),
        (#"\@\$\;\(\)\".k8s."#, [Array(#"@$;()""#.utf8), Array("k8s".utf8)], #"\@\$\;\(\)\".k8s."#),
        (#"\h\i.k8s."#, [Array("hi".utf8), Array("k8s".utf8)], "hi.k8s."),
        (#"a\.."#, [Array("a.".utf8)], #"a\.."#),
    ])
    func escapedPresentation(text: String, labels: [[UInt8]], printed: String) throws {
        let name = try DNSName(text)
        #expect(name.labels.map(Array.init) == labels)
        #expect(name.description == printed)
        #expect(try DNSName(name.description).isIdentical(to: name))
    }

    @Test(arguments: [#"a..b."#, #".a."#, #"a\"#, #"a\25"#, #"a\256.b."#, "", #"a\2x5"#])
    func badPresentationIsRejected(text: String) {
        expectWireError(.badPresentation, at: nil) { _ = try DNSName(text) }
    }

    @Test func rootAndOriginForms() throws {
        #expect(try DNSName(Substring(".")).isRoot)
        #expect(try DNSName("@", origin: "k8s.") == "k8s.")
        #expect(try DNSName("a", origin: "k8s.") == "a.k8s.")
        #expect(try DNSName(Substring("a.")) == "a.")
        #expect(DNSName.root.description == ".")
        #expect(DNSName.root.labelCount == 0)
        #expect(try DNSName(Substring("a.b.c.")).labelCount == 3)
    }

    @Test func labelLimitIs63Octets() throws {
        let ok = String(repeating: "x", count: 63)
        #expect(try DNSName(ok + ".k8s.").labels.first?.count == 63)
        expectWireError(.labelTooLong, at: nil) { _ = try DNSName(ok + "x.k8s.") }
        // an escape counts as one octet
        #expect(try DNSName(String(repeating: #"\046"#, count: 63) + ".").labels.first?.count == 63)
        expectWireError(.labelTooLong, at: nil) { _ = try DNSName(String(repeating: #"\046"#, count: 64) + ".") }
    }

    @Test func nameLimitIs255Octets() throws {
        let label = String(repeating: "x", count: 63)
        let name255 = [label, label, label, String(repeating: "y", count: 61)].joined(separator: ".") + "."
        #expect(try DNSName(name255).wire.count == 255)
        expectWireError(.nameTooLong, at: nil) { _ = try DNSName("z." + name255) }
        // a relative name that only overflows once the origin is added
        expectWireError(.nameTooLong, at: nil) { _ = try DNSName([label, label, label].joined(separator: "."), origin: DNSName(label + ".")) }
        // and a 255-octet name survives the wire, compressed or not
        let message = DNSMessage(questions: [DNSQuestion(name: try DNSName(name255), type: .a)])
        #expect(try DNSMessage(wireFormat: message.wireBytes()) == message)
    }
}
