import DNSWire

/// Outcomes computed with the index for the names clients ask most, looked up by the question's
/// exact wire form and type (see `ClusterDNSIndex.precomputeAnswers()` for which names and why
/// handing them out changes no answer).
///
/// An open-addressing table rather than a `Dictionary`, laid out for few cache misses: a probe
/// reads a small array of 16-bit tags that stays in cache; the entry at a matching tag holds the
/// first 64 octets of its name in place (compared without following a pointer) and the name's
/// three outcomes side by side.
struct PrecomputedAnswers: Sendable {
    /// One name and its outcomes, `nil` for the types not computed.
    struct Entry: Sendable {
        /// The first 64 octets of the name's wire form, zero-padded.
        let head: Head
        /// The length of the wire form.
        let length: Int
        /// The question name's wire form, spelled exactly as a query must spell it to match.
        let wire: [UInt8]
        let a: Outcome?
        let aaaa: Outcome?
        let srv: Outcome?

        init(wire: [UInt8], a: Outcome?, aaaa: Outcome?, srv: Outcome?) {
            head = PrecomputedAnswers.head(of: wire)
            length = wire.count
            self.wire = wire
            self.a = a
            self.aaaa = aaaa
            self.srv = srv
        }

        static let empty = Entry(wire: [], a: nil, aaaa: nil, srv: nil)
    }

    /// A power-of-two number of slots, linear probing: 0 when empty, else 16 bits of the name's
    /// hash (never 0); `entries` has the entry at the same position.
    private let tags: [UInt16]
    private let entries: [Entry]
    /// The number of names.
    let count: Int

    /// No precomputed answers.
    static let none = PrecomputedAnswers([])

    /// A table over `entries`, whose names must be distinct.
    init(_ list: [Entry]) {
        count = list.count
        guard !list.isEmpty else {
            tags = []
            entries = []
            return
        }
        var size = 16
        while size < list.count + list.count / 2 { size *= 2 }
        var tags = [UInt16](repeating: 0, count: size)
        var entries = [Entry](repeating: .empty, count: size)
        for entry in list {
            let hash = entry.wire.withUnsafeBytes { WireKey.hash($0) }
            var i = Int(truncatingIfNeeded: hash) & (size - 1)
            while tags[i] != 0 { i = (i + 1) & (size - 1) }
            tags[i] = PrecomputedAnswers.tag(hash)
            entries[i] = entry
        }
        self.tags = tags
        self.entries = entries
    }

    @inline(__always) static func tag(_ hash: UInt64) -> UInt16 {
        UInt16(truncatingIfNeeded: hash >> 48) | 1
    }

    /// The first 64 octets of a wire form, zero-padded, as eight words.
    struct Head: Equatable, Sendable {
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

        @inline(__always) static func == (a: Head, b: Head) -> Bool {
            a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3 && a.words.4 == b.words.4
                && a.words.5 == b.words.5 && a.words.6 == b.words.6 && a.words.7 == b.words.7
        }
    }

    /// The first 64 octets of `wire`, zero-padded.
    @inline(__always) static func head(of wire: [UInt8]) -> Head {
        var head = Head()
        wire.withUnsafeBytes { source in
            withUnsafeMutableBytes(of: &head.words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(64))) }
        }
        return head
    }

    /// True for the types that may have precomputed answers.
    @inline(__always) static func covers(_ type: DNSType) -> Bool {
        type == .a || type == .aaaa || type == .srv
    }

    /// The outcome for a question spelled exactly as `wire`, if precomputed.
    @inline(__always) func outcome(_ wire: [UInt8], _ type: DNSType) -> Outcome? {
        guard !tags.isEmpty else { return nil }
        let hash = wire.withUnsafeBytes { WireKey.hash($0) }
        let tag = PrecomputedAnswers.tag(hash)
        return tags.withUnsafeBufferPointer { tags in
            entries.withUnsafeBufferPointer { entries -> Outcome? in
                let mask = tags.count - 1
                var i = Int(truncatingIfNeeded: hash) & mask
                var head: Head? = nil
                while true {
                    let t = tags[i]
                    if t == 0 { return nil }
                    if t == tag && entries[i].length == wire.count {
                        let query = head ?? PrecomputedAnswers.head(of: wire)
                        head = query
                        if entries[i].head == query && (wire.count <= 64 || Octets.equal(entries[i].wire, wire)) {
                            switch type {
                            case .a: return entries[i].a
                            case .aaaa: return entries[i].aaaa
                            case .srv: return entries[i].srv
                            default: return nil
                            }
                        }
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }
}
