import DNSWire
import Testing

/// ``DNSWireMessage`` must accept exactly what ``DNSMessage``'s decoder accepts (same error, same
/// offset), and what it reads in place must equal the decoded message.
struct WireMessageTests {
    /// What a message reads as in place: question, then every record as owner, type, class, TTL
    /// and data, in order.
    static func inPlace(_ wire: DNSWireMessage) -> [String] {
        var lines: [String] = []
        if let q = wire.firstQuestion { lines.append("question \(wire.name(at: q.nameOffset)) \(q.type) \(q.qClass)") }
        for section in [DNSWireMessage.Section.answer, .authority, .additional] {
            wire.forEachRecord(in: section) { r in
                lines.append("\(section) \(wire.name(at: r.nameOffset)) \(r.type) \(r.rrClass) \(r.ttl) \(wire.recordData(r).presentation)")
            }
        }
        return lines
    }

    /// The same, from the decoded message.
    static func decoded(_ message: DNSMessage) -> [String] {
        var lines: [String] = []
        if let q = message.question { lines.append("question \(q.name) \(q.type) \(q.qClass)") }
        for (section, records) in [("answer", message.answers), ("authority", message.authority), ("additional", message.additional)] {
            for r in records { lines.append("\(section) \(r.name) \(r.type) \(r.rrClass) \(r.ttl) \(r.data.presentation)") }
        }
        return lines
    }

    /// Checks one input both ways; true when it was accepted.
    @discardableResult
    static func agree(_ bytes: [UInt8]) -> Bool {
        let outcome = Result { try DNSMessage(wireFormat: bytes) }
        let checked = Result { try DNSWireMessage(validating: bytes) }
        switch (outcome, checked) {
        case (.success(let message), .success(let wire)):
            #expect(wire.message == message, "\(Hex.string(bytes))")
            #expect(wire.header == message.header)
            #expect(wire.questionCount == message.questions.count)
            #expect(wire.answerCount == message.answers.count && wire.authorityCount == message.authority.count)
            #expect(wire.additionalCount == message.additional.count)
            #expect(Self.inPlace(wire) == Self.decoded(message), "\(Hex.string(bytes))")
            if let name = message.question?.name, let slice = wire.questionNameWire {
                #expect(Array(slice) == name.wire)
            } else {
                #expect(message.question == nil && wire.questionNameWire == nil)
            }
            return true
        case (.failure(let a as DNSWireError), .failure(let b as DNSWireError)):
            #expect(a.code == b.code && a.offset == b.offset, "\(a) vs \(b) for \(Hex.string(bytes))")
        default:
            Issue.record("decoder and checker disagree on \(Hex.string(bytes)): \(outcome) vs \(checked)")
        }
        return false
    }

    @Test func everyCorpusMessageReadsInPlaceAsDecoded() throws {
        let corpus = try RobustnessTests.corpus()
        for message in corpus { #expect(Self.agree(message)) }
    }

    @Test func compressedQuestionNameIsCopied() throws {
        // a question whose name is a pointer into the header octets 2...: odd but well-formed
        let bytes = Hex.bytes("0000 0000 0001 0000 0000 0000 c004 0001 0001")
        #expect(Self.agree(bytes))
        // a label, then a pointer (to the root octet at offset 4): the wire form is not the
        // stored octets, and must not be taken as a slice of them
        let prefixed = Hex.bytes("0000 0000 0001 0000 0000 0000 0161 c004 0001 0001")
        #expect(Self.agree(prefixed))
        let wire = try DNSWireMessage(validating: prefixed)
        #expect(wire.questionNameWire.map(Array.init) == [1, UInt8(ascii: "a"), 0])
        // the root as the question's name is a one-octet slice
        #expect(try DNSWireMessage(validating: Hex.bytes("0000 0000 0001 0000 0000 0000 00 0001 0001")).questionNameWire.map(Array.init) == [0])
    }

    @Test func seededMutationsAgreeWithTheDecoder() throws {
        let corpus = try RobustnessTests.corpus()
        var rng = SeededGenerator(seed: 0x7769_7265)  // "wire"
        var accepted = 0
        var rejected = 0
        for i in 0..<60_000 {
            var bytes = corpus[i % corpus.count]
            RobustnessTests.mutate(&bytes, &rng)
            if Self.agree(bytes) { accepted += 1 } else { rejected += 1 }
        }
        // both outcomes must be well represented, or the run proves little
        #expect(accepted > 3000 && rejected > 3000, "accepted \(accepted), rejected \(rejected)")
    }
}
