/// Cross-modality localisation (CML, A2V / V2A): given the global feature φ of an event in one
/// modality, find where it lies in the other: score each segment by σ(φ · f_t), slide a window
/// of `length` segments, and return the start with the largest sum (the first on ties).
enum CmlLocalize {
    static func localize<T: KernelScalar>(_ query: UnsafePointer<T>, _ other: UnsafePointer<T>,
                                          _ start: UnsafeMutablePointer<Int64>, clips: Int, segments: Int, dim: Int,
                                          length: Int) {
        for clip in 0..<clips {
            let scores = (0..<segments).map { t in
                DualAttentionMatching.sigmoid(dotProduct(query + clip * dim, other + (clip * segments + t) * dim,
                                                         count: dim))
            }
            var best = -Double.infinity
            var bestStart = 0
            for first in 0...(segments - length) {
                // Each window summed afresh, left to right: equal windows tie exactly.
                let window = scores[first..<(first + length)].reduce(0, +)
                if window > best {
                    (best, bestStart) = (window, first)
                }
            }
            start[clip] = Int64(bestStart)
        }
    }
}

// MARK: The exported function (its tensors are checked against the op table)

extension CmlLocalize {
    static func run(_ a: CmlLocalizeArguments) throws(VTError) {
        switch a.dtype {
        case .float32: try run(a, Float.self)
        case .float64: try run(a, Double.self)
        case .int64: throw .internalError("no floating kernel for int64 tensors")
        }
    }

    private static func run<T: KernelScalar>(_ a: CmlLocalizeArguments, _: T.Type) throws(VTError) {
        guard a.length <= a.t else { throw .invalidArgument("length=\(a.length) must be in [1, T=\(a.t)]") }
        localize(a.queryGlobal.pointer(T.self), a.otherLocal.pointer(), a.start.mutablePointer(), clips: a.n,
                 segments: a.t, dim: a.d, length: Int(a.length))
    }
}
