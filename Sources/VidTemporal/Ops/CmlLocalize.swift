/// Cross-modality localisation (CML, A2V / V2A): given the global feature φ of an event in one
/// modality, find where it lies in the other: score each segment by σ(φ · f_t), slide a window
/// of `length` segments, and return the start with the largest sum (the first on ties).
///
/// The window slides in O(T): add the entering segment's score, subtract the leaving one's
/// (recomputed, so nothing is stored). The sums are exact (`ExactSum`), so sliding never rounds
/// and windows with equal sums tie exactly, however long the clip.
enum CmlLocalize {
    static func localize<T: KernelScalar>(_ query: UnsafePointer<T>, _ other: UnsafePointer<T>,
                                          _ start: UnsafeMutablePointer<Int64>, clips: Int, segments: Int, dim: Int,
                                          length: Int) {
        // No features: every score is σ(0), every window ties, and the first wins (without
        // walking segments that hold no data).
        guard dim > 0 else {
            start.update(repeating: 0, count: clips)
            return
        }
        for clip in 0..<clips {
            func score(_ t: Int) -> Double {
                DualAttentionMatching.sigmoid(dotProduct(query + clip * dim, other + (clip * segments + t) * dim,
                                                         count: dim))
            }
            // A NaN score (from NaN features) makes its windows' sums NaN: never the best.
            var window = ExactSum(), nans = 0
            for t in 0..<length {
                let s = score(t)
                if s.isNaN { nans += 1 } else { window.add(s) }
            }
            var (best, bestStart) = (window, 0)
            var bestIsNaN = nans > 0
            for first in 1..<(segments - length + 1) {
                let (entering, leaving) = (score(first + length - 1), score(first - 1))
                if entering.isNaN { nans += 1 } else { window.add(entering) }
                if leaving.isNaN { nans -= 1 } else { window.subtract(leaving) }
                if nans == 0 && (bestIsNaN || window > best) {
                    (best, bestStart, bestIsNaN) = (window, first, false)
                }
            }
            start[clip] = Int64(bestStart)
        }
    }
}

/// An exact sum of doubles in [0, 1]: a fixed-point number whose bits run from 2^-1074 (the
/// least double) to 2^77, enough for 2^63 terms. Adding and subtracting never round.
struct ExactSum {
    /// Little-endian 64-bit words; bit 0 is 2^-1074.
    private var words = InlineArray<18, UInt64>(repeating: 0)

    /// The double's significand and the position of its lowest bit (x = significand * 2^(shift - 1074)).
    private static func split(_ x: Double) -> (significand: UInt64, shift: Int) {
        let exponent = Int(x.exponentBitPattern)
        let fraction = UInt64(x.significandBitPattern)
        return exponent == 0 ? (fraction, 0) : (fraction | (1 << 52), exponent - 1)
    }

    mutating func add(_ x: Double) {
        let (significand, shift) = Self.split(x)
        let (word, offset) = (shift / 64, shift % 64)
        addWord(significand << offset, at: word)
        if offset > 0 { addWord(significand >> (64 - offset), at: word + 1) }
    }

    mutating func subtract(_ x: Double) {
        let (significand, shift) = Self.split(x)
        let (word, offset) = (shift / 64, shift % 64)
        subtractWord(significand << offset, at: word)
        if offset > 0 { subtractWord(significand >> (64 - offset), at: word + 1) }
    }

    /// Adds `value` at word `index`, carrying upwards.
    private mutating func addWord(_ value: UInt64, at index: Int) {
        var (i, carry) = (index, value)
        while carry != 0 && i < 18 {
            let (sum, overflow) = words[i].addingReportingOverflow(carry)
            words[i] = sum
            (carry, i) = (overflow ? 1 : 0, i + 1)
        }
    }

    /// Subtracts `value` at word `index`, borrowing upwards (the sum stays >= 0: only a score
    /// that was added is subtracted).
    private mutating func subtractWord(_ value: UInt64, at index: Int) {
        var (i, borrow) = (index, value)
        while borrow != 0 && i < 18 {
            let (difference, overflow) = words[i].subtractingReportingOverflow(borrow)
            words[i] = difference
            (borrow, i) = (overflow ? 1 : 0, i + 1)
        }
    }

    static func > (a: ExactSum, b: ExactSum) -> Bool {
        for i in stride(from: 17, through: 0, by: -1) where a.words[i] != b.words[i] {
            return a.words[i] > b.words[i]
        }
        return false
    }
}

// MARK: The exported function (its tensors are checked against the op table)

extension CmlLocalize {
    static func run<T: KernelScalar>(_ a: CmlLocalizeArguments, _: T.Type) throws(VTError) {
        guard a.length <= a.t else { throw .invalidArgument("length=\(a.length) must be in [1, T=\(a.t)]", argument: "length") }
        localize(a.queryGlobal.pointer(T.self), a.otherLocal.pointer(), a.start.mutablePointer(), clips: a.n,
                 segments: a.t, dim: a.d, length: Int(a.length))
    }
}
