import CVidTemporal

/// What the op table (python/vidtemporal/_optable.py) says about one exported function's
/// tensors, and the one place their DLTensors are checked: device, dtype, ndim, every shape
/// relation, overflow, strides, alignment and overlap. The generated thunks hold one per
/// function; the ops receive what `bind` returns and check only their own rules.
struct Signature: Sendable {
    struct TensorSpec: Sendable {
        enum Role: Sendable { case input, output, inOut }
        enum Dim: Sendable {
            case constant(Int)
            /// A symbol bound where it first appears.
            case symbol(Int)
            /// A product of symbols; one unknown factor is solved by exact division.
            case product([Int])
            /// A symbol another function computes from bound ones (`Signature.derived`).
            case derived(Int)
        }

        let name: String
        let role: Role
        let optional: Bool
        /// An int64 index tensor rather than one of the call's floating dtype.
        let index: Bool
        /// nil: any shape, the same as the first such tensor of the call.
        let dims: [Dim]?
        /// The shape as messages print it, "(N*T, C, H, W)".
        let layout: String
    }

    struct Derived: Sendable {
        let symbol: Int
        let inputs: [Int]
        let compute: @Sendable ([Int]) throws(VTError) -> Int
    }

    let dtypes: [DType]
    let symbols: [String]
    let tensors: [TensorSpec]
    var derived: [Derived] = []

    /// A scalar argument that gives a symbol its value (num_segments is T).
    struct ScalarSymbol {
        let symbol: Int
        let name: String
        let value: Int64
    }

    /// The checked call: its floating dtype, each tensor (nil for an absent optional one) and
    /// the value of every symbol.
    struct Call {
        let dtype: DType
        let tensors: [Tensor?]
        let sizes: [Int]
    }

    /// Where a symbol's value came from, for messages.
    private enum Source {
        case unbound
        case tensor(Int, Int)
        case scalar(String)
        /// tensor, dim, divided by these (known) factors of its product.
        case quotient(Int, Int, [Int])
        case derived
    }

    func bind(_ arguments: [UnsafePointer<DLTensor>?], scalars: [ScalarSymbol] = []) throws(VTError) -> Call {
        var sizes = [Int](repeating: 0, count: symbols.count)
        var sources = [Source](repeating: .unbound, count: symbols.count)
        for scalar in scalars {
            sizes[scalar.symbol] = Int(scalar.value)
            sources[scalar.symbol] = .scalar(scalar.name)
        }
        var dtype: DType? = nil
        var firstFloat = ""
        var anyShape: Int? = nil

        // Device, ndim and dtype of each tensor, then its dims against the symbols.
        for (index, spec) in tensors.enumerated() {
            guard let argument = arguments[index] else {
                if spec.optional { continue }
                throw .nullPointer("\(spec.name) is NULL")
            }
            let t = argument.pointee
            guard t.device.device_type == kDLCPU else {
                throw .unsupported("\(spec.name) is on \(t.device.device_type.name):\(t.device.device_id); "
                    + "vidtemporal reads CPU memory (kDLCPU) only")
            }
            guard t.ndim >= 0, t.ndim == 0 || t.shape != nil else {
                throw .invalidArgument("\(spec.name) has ndim=\(t.ndim) and shape \(t.shape == nil ? "NULL" : "set")")
            }
            if let dims = spec.dims, dims.count != Int(t.ndim) {
                throw .shapeMismatch(dims.isEmpty ? "\(spec.name) must be 0-d (one element), got shape \(shapeText(t))"
                    : "\(spec.name) must have \(dims.count) dims \(spec.layout), got shape \(shapeText(t))")
            }
            try checkDType(t.dtype, spec, &dtype, &firstFloat)
            for d in 0..<Int(t.ndim) where t.shape![d] < 0 {
                throw .invalidArgument("\(spec.name).shape[\(d)]=\(t.shape![d]) is negative")
            }
            guard let dims = spec.dims else {
                if let reference = anyShape, let other = arguments[reference] {
                    try requireSameShape(t, spec.name, other.pointee, tensors[reference].name)
                } else {
                    anyShape = index
                }
                continue
            }
            for (d, dim) in dims.enumerated() {
                try bindDim(dim, Int(t.shape![d]), index, d, &sizes, &sources)
            }
        }
        // Products again, now that every tensor has bound its symbols (one with two unknown
        // factors waited for that); derived sizes once their inputs are bound.
        for (index, spec) in tensors.enumerated() {
            guard let argument = arguments[index], let dims = spec.dims else { continue }
            for (d, dim) in dims.enumerated() {
                if case .product = dim { try bindDim(dim, Int(argument.pointee.shape![d]), index, d, &sizes, &sources, last: true) }
            }
        }
        for rule in derived {
            sizes[rule.symbol] = try rule.compute(rule.inputs.map { sizes[$0] })
            sources[rule.symbol] = .derived
        }
        var checked = [Tensor?](repeating: nil, count: tensors.count)
        for (index, spec) in tensors.enumerated() {
            guard let argument = arguments[index] else { continue }
            let t = argument.pointee
            if let dims = spec.dims {
                for (d, dim) in dims.enumerated() {
                    guard case .derived(let symbol) = dim, t.shape![d] != sizes[symbol] else { continue }
                    throw .shapeMismatch("\(spec.name).shape[\(d)]=\(t.shape![d]) must be \(sizes[symbol]) "
                        + "(\(symbols[symbol]), from the other tensors' shapes)")
                }
            }
            checked[index] = try view(argument, spec, dtype: spec.index ? .int64 : dtype!)
        }
        try requireSeparate(checked)
        return Call(dtype: dtype ?? dtypes[0], tensors: checked, sizes: sizes)
    }

    private func checkDType(_ type: DLDataType, _ spec: TensorSpec, _ dtype: inout DType?,
                            _ firstFloat: inout String) throws(VTError) {
        let given = DType(type)
        if spec.index {
            guard given == .int64 else { throw .unsupported("\(spec.name) must be int64, got \(DType.describe(type))") }
            return
        }
        guard let given, dtypes.contains(given) else {
            throw .unsupported("\(spec.name) must be \(dtypes.map(\.name).joined(separator: " or ")), "
                + "got \(DType.describe(type))")
        }
        if let dtype {
            guard given == dtype else {
                throw .unsupported("\(spec.name) is \(given.name) but \(firstFloat) is \(dtype.name); "
                    + "all floating tensors of a call share one dtype")
            }
        } else {
            (dtype, firstFloat) = (given, spec.name)
        }
    }

    private func requireSameShape(_ t: DLTensor, _ name: String, _ other: DLTensor, _ otherName: String) throws(VTError) {
        let same = t.ndim == other.ndim && (0..<Int(t.ndim)).allSatisfy { t.shape![$0] == other.shape![$0] }
        guard same else {
            throw .shapeMismatch("\(name) has shape \(shapeText(t)) but \(otherName) has shape \(shapeText(other)); "
                + "they must match")
        }
    }

    /// Binds or checks one dim. `last`: the final pass, where an unsolvable product is a bug.
    private func bindDim(_ dim: TensorSpec.Dim, _ value: Int, _ tensor: Int, _ d: Int, _ sizes: inout [Int],
                         _ sources: inout [Source], last: Bool = false) throws(VTError) {
        let name = "\(tensors[tensor].name).shape[\(d)]=\(value)"
        switch dim {
        case .constant(let expected):
            guard value == expected else { throw .shapeMismatch("\(name) must be \(expected) \(tensors[tensor].layout)") }
        case .symbol(let symbol):
            if case .unbound = sources[symbol] {
                (sizes[symbol], sources[symbol]) = (value, .tensor(tensor, d))
            } else if sizes[symbol] != value {
                throw .shapeMismatch("\(name) does not match \(describe(symbol, sizes, sources)) (\(symbols[symbol]))")
            }
        case .product(let factors):
            let unknown = factors.filter { if case .unbound = sources[$0] { true } else { false } }
            var known = 1
            for factor in factors where !unknown.contains(factor) {
                known = known.multipliedReportingOverflow(by: sizes[factor]).partialValue
            }
            let product = factors.map { symbols[$0] }.joined(separator: "*")
            let parts = factors.filter { !unknown.contains($0) }.map { describe($0, sizes, sources) }
                .joined(separator: ", ")
            switch unknown.count {
            case 0:
                guard value == known else { throw .shapeMismatch("\(name) does not match \(product)=\(known) (\(parts))") }
            case 1:
                guard known != 0 else {
                    guard value == 0 else { throw .shapeMismatch("\(name) does not match \(product)=0 (\(parts))") }
                    return
                }
                guard value % known == 0 else {
                    throw .shapeMismatch("\(name) (\(product)) is not a multiple of \(parts)")
                }
                let divisors = factors.filter { $0 != unknown[0] }
                (sizes[unknown[0]], sources[unknown[0]]) = (value / known, .quotient(tensor, d, divisors))
            default:
                if last { throw VTError(status: Int32(VT_ERR_INTERNAL), message: "\(name): \(product) is unsolved") }
            }
        case .derived:
            return  // checked once the derived sizes are known
        }
    }

    /// "x.shape[1]=4", "num_segments=8" or "x.shape[0]/num_segments=2": where a symbol came from.
    private func describe(_ symbol: Int, _ sizes: [Int], _ sources: [Source]) -> String {
        switch sources[symbol] {
        case .tensor(let t, let d): "\(tensors[t].name).shape[\(d)]=\(sizes[symbol])"
        case .scalar(let name): "\(name)=\(sizes[symbol])"
        case .quotient(let t, let d, let divisors):
            "\(tensors[t].name).shape[\(d)]/" + divisors.map { divisorName($0, sources) }.joined(separator: "/")
                + "=\(sizes[symbol])"
        case .derived, .unbound: "\(symbols[symbol])=\(sizes[symbol])"
        }
    }

    private func divisorName(_ symbol: Int, _ sources: [Source]) -> String {
        switch sources[symbol] {
        case .tensor(let t, let d): "\(tensors[t].name).shape[\(d)]"
        case .scalar(let name): name
        default: symbols[symbol]
        }
    }

    /// Size, strides, data and alignment of one tensor whose dims are already checked.
    private func view(_ argument: UnsafePointer<DLTensor>, _ spec: TensorSpec, dtype: DType) throws(VTError) -> Tensor {
        let t = argument.pointee
        let dims = (0..<Int(t.ndim)).map { Int(t.shape![$0]) }
        let count = try elementCount(dims, elementSize: dtype.size, tensor: spec.name)
        if let strides = t.strides, count > 0 {
            var expected = 1
            for d in stride(from: dims.count - 1, through: 0, by: -1) {
                if dims[d] != 1 && Int(strides[d]) != expected {
                    throw .unsupported("\(spec.name) must be C-contiguous (compact row-major), got strides "
                        + "\(tupleText((0..<dims.count).map { Int(strides[$0]) })) for shape \(tupleText(dims))")
                }
                expected *= dims[d]
            }
        }
        guard count > 0 else { return Tensor(name: spec.name, tensor: argument, address: nil, dtype: dtype, count: 0) }
        guard let data = t.data else { throw .nullPointer("\(spec.name).data is NULL") }
        guard t.byte_offset <= UInt64(Int.max - Int(bitPattern: data)) else {
            throw .shapeMismatch("\(spec.name).byte_offset=\(t.byte_offset) overflows the address space")
        }
        let address = data + Int(t.byte_offset)
        guard Int(bitPattern: address) % dtype.size == 0 else {
            throw .unsupported("\(spec.name)'s first element (data + byte_offset) is not aligned to its "
                + "\(dtype.size)-byte elements")
        }
        return Tensor(name: spec.name, tensor: argument, address: address, dtype: dtype, count: count)
    }

    /// Rejects any output overlapping an input or another output.
    private func requireSeparate(_ checked: [Tensor?]) throws(VTError) {
        for (index, spec) in tensors.enumerated() where spec.role != .input {
            guard let output = checked[index], output.count > 0 else { continue }
            for (otherIndex, other) in checked.enumerated() where otherIndex != index {
                guard let other, other.count > 0, tensors[otherIndex].role == .input || otherIndex < index else { continue }
                if output.address < other.address + other.bytes && other.address < output.address + output.bytes {
                    throw .shapeMismatch("\(output.name) overlaps \(other.name); they must be separate arrays")
                }
            }
        }
    }
}

func tupleText(_ values: [Int]) -> String {
    "(" + values.map(String.init).joined(separator: ", ") + (values.count == 1 ? ",)" : ")")
}

private func shapeText(_ t: DLTensor) -> String {
    tupleText((0..<Int(t.ndim)).map { Int(t.shape![$0]) })
}

/// A scalar count the table gives a minimum (num_segments >= 1, ...).
func requireAtLeast(_ value: Int64, _ minimum: Int64, _ name: String) throws(VTError) {
    guard value >= minimum else { throw .invalidArgument("\(name)=\(value) must be >= \(minimum)") }
}
