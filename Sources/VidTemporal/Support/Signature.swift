import CVidTemporal

/// What the op table (python/vidtemporal/_optable.py) says about one tensor argument.
struct TensorSpec: Sendable {
    enum Role: Sendable { case input, output, inOut }
    enum Dim: Sendable {
        case constant(Int)
        /// A symbol bound where it first appears.
        case symbol(Int)
        /// A product of two symbols; one unknown factor is solved by exact division.
        case product(Int, Int)
        /// A symbol another function computes from bound ones (`Signature.derived`).
        case derived(Int)
    }

    let name: StaticString
    let role: Role
    let optional: Bool
    /// An int64 index tensor rather than one of the call's floating dtype.
    let index: Bool
    /// The number of dims, or -1: any shape, the same as the call's first such tensor.
    let rank: Int
    /// The first `rank` entries are the dims.
    let dims: InlineArray<5, Dim>
    /// The shape as messages print it, "(N*T, C, H, W)".
    let layout: StaticString
}

/// The floating dtypes a function serves.
struct DTypes: OptionSet, Sendable {
    let rawValue: UInt8
    static let float32 = DTypes(rawValue: 1)
    static let float64 = DTypes(rawValue: 2)
    static let float16 = DTypes(rawValue: 4)
    static let bfloat16 = DTypes(rawValue: 8)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ dtype: DType) {
        switch dtype {
        case .float32: self = .float32
        case .float64: self = .float64
        case .float16: self = .float16
        case .bfloat16: self = .bfloat16
        case .int64: self = []
        }
    }

    var names: String {
        let all = [(DTypes.float32, "float32"), (.float64, "float64"), (.float16, "float16"), (.bfloat16, "bfloat16")]
        let served = all.filter { contains($0.0) }.map(\.1)
        return served.count > 2 ? served.dropLast().joined(separator: ", ") + " or " + served.last!
            : served.joined(separator: " or ")
    }
}

/// A size another exported function computes from bound symbols (the DAM workspace's, a
/// sampled correlation's output height).
struct Derived<let symbolCount: Int>: Sendable {
    /// The exported function that computes it, for messages.
    let function: StaticString
    let symbol: Int
    /// The symbols it reads, for messages.
    let inputs: [Int]
    let compute: @Sendable (InlineArray<symbolCount, Int>) throws(VTError) -> Int
}

/// A scalar argument that gives a symbol its value (num_segments is T, kernel_h is KH).
struct ScalarSymbol {
    let symbol: Int
    let name: StaticString
    let value: Int64
}

/// A checked call: its floating dtype, each tensor (nil for an absent optional one) and the
/// value of every symbol.
struct Binding<let tensorCount: Int, let symbolCount: Int> {
    var dtype: DType
    var tensors: InlineArray<tensorCount, Tensor?>
    var sizes: InlineArray<symbolCount, Int>
}

/// One exported function's tensors as the op table declares them, and the one place their
/// DLTensors are checked: device, dtype, ndim, every shape relation, overflow, strides,
/// alignment and overlap. The generated thunks hold one per function; the ops receive what
/// `bind` returns and check only their own rules. Nothing here allocates: it runs on every call.
struct Signature<let tensorCount: Int, let symbolCount: Int>: @unchecked Sendable {
    let dtypes: DTypes
    /// Whether the function's 4-d tensors may also be channels_last (NHWC memory); all of a
    /// call's then share one layout, which the kernel reads from `Tensor.layout`.
    let channelsLast: Bool
    // Kept in buffers that live as long as the program (one per exported function): an element
    // read from them copies that element, where an InlineArray property would copy itself whole.
    let symbols: UnsafeBufferPointer<StaticString>
    let tensors: UnsafeBufferPointer<TensorSpec>
    /// Computed in order once the tensors have bound their symbols.
    let derived: [Derived<symbolCount>]

    init(dtypes: DTypes, channelsLast: Bool = false, symbols: InlineArray<symbolCount, StaticString>,
         tensors: InlineArray<tensorCount, TensorSpec>, derived: [Derived<symbolCount>] = []) {
        self.dtypes = dtypes
        self.channelsLast = channelsLast
        self.symbols = Self.permanent(symbols)
        self.tensors = Self.permanent(tensors)
        self.derived = derived
    }

    private static func permanent<let n: Int, T>(_ values: InlineArray<n, T>) -> UnsafeBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: n)
        for i in 0..<n { (buffer.baseAddress! + i).initialize(to: values[i]) }
        return UnsafeBufferPointer(buffer)
    }

    /// Where a symbol's value came from, for messages.
    private enum Source {
        case unbound
        case tensor(Int, Int)
        case scalar(StaticString)
        /// That tensor's dim (a product) divided by its other factor.
        case quotient(Int, Int)
        case derived
    }

    func bind(_ arguments: InlineArray<tensorCount, UnsafePointer<DLTensor>?>) throws(VTError)
        -> Binding<tensorCount, symbolCount> {
        let none: InlineArray<0, ScalarSymbol> = []
        return try bind(arguments, scalars: none)
    }

    func bind<let scalarCount: Int>(_ arguments: InlineArray<tensorCount, UnsafePointer<DLTensor>?>,
                                    scalars: InlineArray<scalarCount, ScalarSymbol>) throws(VTError)
        -> Binding<tensorCount, symbolCount> {
        var sizes = InlineArray<symbolCount, Int>(repeating: 0)
        var sources = InlineArray<symbolCount, Source>(repeating: .unbound)
        for i in 0..<scalarCount {
            let scalar = scalars[i]
            (sizes[scalar.symbol], sources[scalar.symbol]) = (Int(scalar.value), .scalar(scalar.name))
        }
        var dtype: DType? = nil
        var firstFloat = -1
        var anyShape = -1

        // Device, ndim and dtype of each tensor, then its dims against the symbols.
        for index in 0..<tensorCount {
            let spec = tensors[index]
            guard let argument = arguments[index] else {
                if spec.optional { continue }
                throw .nullPointer("\(spec.name) is NULL", argument: "\(spec.name)")
            }
            let t = argument.pointee
            guard t.device.device_type == kDLCPU else {
                throw .unsupported("\(spec.name) is on \(t.device.device_type.name):\(t.device.device_id); "
                    + "vidtemporal reads CPU memory (kDLCPU) only", argument: "\(spec.name)")
            }
            guard t.ndim >= 0, t.ndim == 0 || t.shape != nil else {
                throw .invalidArgument("\(spec.name) has ndim=\(t.ndim) and shape \(t.shape == nil ? "NULL" : "set")",
                                       argument: "\(spec.name)")
            }
            if spec.rank >= 0 && spec.rank != Int(t.ndim) {
                throw .shapeMismatch(spec.rank == 0 ? "\(spec.name) must be 0-d (one element), got shape \(shapeText(t))"
                    : "\(spec.name) must have \(spec.rank) dims \(spec.layout), got shape \(shapeText(t))",
                                     argument: "\(spec.name)")
            }
            try checkDType(t.dtype, index, &dtype, &firstFloat)
            for d in 0..<Int(t.ndim) where t.shape![d] < 0 {
                throw .invalidArgument("\(spec.name).shape[\(d)]=\(t.shape![d]) is negative", argument: "\(spec.name)")
            }
            guard spec.rank >= 0 else {
                if anyShape >= 0, let other = arguments[anyShape] {
                    try requireSameShape(t, spec.name, other.pointee, tensors[anyShape].name)
                } else {
                    anyShape = index
                }
                continue
            }
            for d in 0..<spec.rank {
                try bindDim(spec.dims[d], Int(t.shape![d]), index, d, &sizes, &sources)
            }
        }
        // Products again, now that every tensor has bound its symbols (one with two unknown
        // factors waited for that); derived sizes once their inputs are bound.
        for index in 0..<tensorCount {
            guard let argument = arguments[index] else { continue }
            let spec = tensors[index]
            for d in 0..<max(spec.rank, 0) {
                if case .product = spec.dims[d] {
                    try bindDim(spec.dims[d], Int(argument.pointee.shape![d]), index, d, &sizes, &sources, last: true)
                }
            }
        }
        for rule in derived {
            do {
                (sizes[rule.symbol], sources[rule.symbol]) = (try rule.compute(sizes), .derived)
            } catch {
                // Refused sizes, in this function's terms: the arguments they came from (the
                // first scalar among them is the one at fault, else the first tensor).
                let inputs = rule.inputs.map { describe($0, sizes, sources) }.joined(separator: ", ")
                let names = rule.inputs.map { symbol -> (String, Bool) in
                    switch sources[symbol] {
                    case .scalar(let name): ("\(name)", true)
                    case .tensor(let t, _), .quotient(let t, _): ("\(tensors[t].name)", false)
                    default: ("", false)
                    }
                }
                let argument = (names.first { $0.1 } ?? names.first { !$0.0.isEmpty } ?? ("", false)).0
                throw VTError(status: error.status, argument: argument,
                              message: "\(symbols[rule.symbol]) = \(rule.function)(\(inputs)): \(error.message)")
            }
        }
        var checked = InlineArray<tensorCount, Tensor?>(repeating: nil)
        for index in 0..<tensorCount {
            guard let argument = arguments[index] else { continue }
            let (spec, t) = (tensors[index], argument.pointee)
            for d in 0..<max(spec.rank, 0) {
                guard case .derived(let symbol) = spec.dims[d], t.shape![d] != sizes[symbol],
                      let rule = derived.first(where: { $0.symbol == symbol }) else {
                    continue
                }
                let inputs = rule.inputs.map { "\(symbols[$0])=\(sizes[$0])" }.joined(separator: ", ")
                throw .shapeMismatch("\(spec.name).shape[\(d)]=\(t.shape![d]) must be \(symbols[symbol])=\(sizes[symbol]) "
                    + "= \(rule.function)(\(inputs))", argument: "\(spec.name)")
            }
            checked[index] = try view(argument, spec, dtype: spec.index ? .int64 : dtype!)
        }
        try requireSeparate(checked)
        try requireOneLayout(checked)
        return Binding(dtype: dtype ?? (dtypes.contains(.float32) ? .float32 : .float64), tensors: checked, sizes: sizes)
    }

    private func checkDType(_ type: DLDataType, _ index: Int, _ dtype: inout DType?,
                            _ firstFloat: inout Int) throws(VTError) {
        let (given, spec) = (DType(type), tensors[index])
        if spec.index {
            guard given == .int64 else { throw .unsupported("\(spec.name) must be int64, got \(DType.describe(type))", argument: "\(spec.name)")
            }
            return
        }
        guard let given, dtypes.contains(DTypes(given)), !DTypes(given).isEmpty else {
            throw .unsupported("\(spec.name) must be \(dtypes.names), got \(DType.describe(type))", argument: "\(spec.name)")
        }
        if let dtype {
            guard given == dtype else {
                throw .unsupported("\(spec.name) is \(given.name) but \(tensors[firstFloat].name) is \(dtype.name); "
                    + "all floating tensors of a call share one dtype", argument: "\(spec.name)")
            }
        } else {
            (dtype, firstFloat) = (given, index)
        }
    }

    private func requireSameShape(_ t: DLTensor, _ name: StaticString, _ other: DLTensor,
                                  _ otherName: StaticString) throws(VTError) {
        var same = t.ndim == other.ndim
        for d in 0..<Int(t.ndim) where same { same = t.shape![d] == other.shape![d] }
        guard same else {
            throw .shapeMismatch("\(name) has shape \(shapeText(t)) but \(otherName) has shape \(shapeText(other)); "
                + "they must match", argument: "\(name)")
        }
    }

    /// Binds or checks one dim. `last`: the final pass, where an unsolvable product is a bug.
    /// (Messages are formed only on failure.)
    private func bindDim(_ dim: TensorSpec.Dim, _ value: Int, _ tensor: Int, _ d: Int,
                         _ sizes: inout InlineArray<symbolCount, Int>, _ sources: inout InlineArray<symbolCount, Source>,
                         last: Bool = false) throws(VTError) {
        let argument = "\(tensors[tensor].name)"
        func name() -> String { "\(argument).shape[\(d)]=\(value)" }
        func bound(_ symbol: Int) -> Bool { if case .unbound = sources[symbol] { false } else { true } }
        switch dim {
        case .constant(let expected):
            guard value == expected else { throw .shapeMismatch("\(name()) must be \(expected) \(tensors[tensor].layout)", argument: argument)
            }
        case .symbol(let symbol):
            if !bound(symbol) {
                (sizes[symbol], sources[symbol]) = (value, .tensor(tensor, d))
            } else if sizes[symbol] != value {
                throw .shapeMismatch("\(name()) does not match \(describe(symbol, sizes, sources)) (\(symbols[symbol]))",
                                     argument: argument)
            }
        case .product(let a, let b):
            func product() -> String { "\(symbols[a])*\(symbols[b])" }
            switch (bound(a), bound(b)) {
            case (true, true):
                guard value == sizes[a] &* sizes[b] else {
                    throw .shapeMismatch("\(name()) does not match \(product())=\(sizes[a] &* sizes[b]) "
                        + "(\(describe(a, sizes, sources)), \(describe(b, sizes, sources)))", argument: argument)
                }
            case (true, false), (false, true):
                let (known, unknown) = bound(a) ? (a, b) : (b, a)
                guard sizes[known] != 0 else {
                    guard value == 0 else {
                        throw .shapeMismatch("\(name()) does not match \(product())=0 (\(describe(known, sizes, sources)))",
                                             argument: argument)
                    }
                    return
                }
                guard value % sizes[known] == 0 else {
                    throw .shapeMismatch("\(name()) (\(product())) is not a multiple of \(describe(known, sizes, sources))",
                                         argument: argument)
                }
                (sizes[unknown], sources[unknown]) = (value / sizes[known], .quotient(tensor, d))
            case (false, false):
                if last { throw .internalError("\(name()): \(product()) is unsolved") }
            }
        case .derived:
            return  // checked once the derived sizes are known
        }
    }

    /// "x.shape[1]=4", "num_segments=8" or "x.shape[0]/num_segments=2": where a symbol came from.
    private func describe(_ symbol: Int, _ sizes: InlineArray<symbolCount, Int>,
                          _ sources: InlineArray<symbolCount, Source>) -> String {
        switch sources[symbol] {
        case .tensor(let t, let d): return "\(tensors[t].name).shape[\(d)]=\(sizes[symbol])"
        case .scalar(let name): return "\(name)=\(sizes[symbol])"
        case .quotient(let t, let d):
            guard case .product(let a, let b) = tensors[t].dims[d] else { return "\(symbols[symbol])=\(sizes[symbol])" }
            let divisor = a == symbol ? b : a
            let divisorName: String = switch sources[divisor] {
            case .tensor(let t2, let d2): "\(tensors[t2].name).shape[\(d2)]"
            case .scalar(let name): "\(name)"
            default: "\(symbols[divisor])"
            }
            return "\(tensors[t].name).shape[\(d)]/\(divisorName)=\(sizes[symbol])"
        case .derived, .unbound: return "\(symbols[symbol])=\(sizes[symbol])"
        }
    }

    /// Size, strides, data and alignment of one tensor whose dims are already checked.
    private func view(_ argument: UnsafePointer<DLTensor>, _ spec: TensorSpec, dtype: DType) throws(VTError) -> Tensor {
        let t = argument.pointee
        let ndim = Int(t.ndim)
        // The element count, rejecting sizes whose bytes would not fit an Int; zero dims count as
        // 1 in the bound so that no partial product a kernel forms can overflow either.
        var (count, bound) = (1, dtype.size)
        for d in 0..<ndim {
            let dim = Int(t.shape![d])
            let (next, overflow) = bound.multipliedReportingOverflow(by: max(dim, 1))
            guard !overflow else { throw .shapeMismatch("\(spec.name) of shape \(shapeText(t)) overflows the address space",
                                                       argument: "\(spec.name)")
            }
            (count, bound) = (count * dim, next)
        }
        var layout = Tensor.Layout.rowMajor
        if let strides = t.strides, count > 0 {
            // Row-major: dims in order 0, 1, ..., n-1 from slowest to fastest; channels_last
            // (4-d): N, H, W, C. A dim of size 1 may have any stride.
            func compact(_ order: [Int]) -> Bool {
                var expected = 1
                for d in order.reversed() {
                    let dim = Int(t.shape![d])
                    if dim != 1 && Int(strides[d]) != expected { return false }
                    expected *= dim
                }
                return true
            }
            let rowMajor = compact(Array(0..<ndim))
            let nhwc = channelsLast && ndim == 4 && compact([0, 2, 3, 1])
            guard rowMajor || nhwc else {
                throw .unsupported("\(spec.name) must be C-contiguous (compact row-major)"
                    + (channelsLast && ndim == 4 ? " or channels_last" : "") + ", got strides "
                    + "\(tupleText((0..<ndim).map { Int(strides[$0]) })) for shape \(shapeText(t))", argument: "\(spec.name)")
            }
            layout = rowMajor && nhwc ? .either : rowMajor ? .rowMajor : .channelsLast
        } else if channelsLast && ndim == 4 && (t.shape![1] == 1 || (t.shape![2] == 1 && t.shape![3] == 1)) {
            layout = .either
        }
        guard count > 0 else {
            return Tensor(name: spec.name, tensor: argument, address: nil, dtype: dtype, count: 0, layout: .either)
        }
        guard let data = t.data else { throw .nullPointer("\(spec.name).data is NULL", argument: "\(spec.name)") }
        guard t.byte_offset <= UInt64(Int.max - Int(bitPattern: data)) else {
            throw .shapeMismatch("\(spec.name).byte_offset=\(t.byte_offset) overflows the address space",
                                 argument: "\(spec.name)")
        }
        let address = data + Int(t.byte_offset)
        guard Int(bitPattern: address) % dtype.size == 0 else {
            throw .unsupported("\(spec.name)'s first element (data + byte_offset) is not aligned to its "
                + "\(dtype.size)-byte elements", argument: "\(spec.name)")
        }
        return Tensor(name: spec.name, tensor: argument, address: address, dtype: dtype, count: count, layout: layout)
    }

    /// Rejects a call whose 4-d tensors mix row-major and channels_last memory.
    private func requireOneLayout(_ checked: InlineArray<tensorCount, Tensor?>) throws(VTError) {
        guard channelsLast else { return }
        var first: Tensor? = nil
        for index in 0..<tensorCount {
            guard let tensor = checked[index], tensor.ndim == 4, tensor.layout != .either else { continue }
            if let first, first.layout != tensor.layout {
                throw .unsupported("\(tensor.name) is \(tensor.layout == .channelsLast ? "channels_last" : "row-major") "
                    + "but \(first.name) is \(first.layout == .channelsLast ? "channels_last" : "row-major"); "
                    + "a call's tensors share one memory format", argument: "\(tensor.name)")
            }
            first = first ?? tensor
        }
    }

    /// Rejects any output overlapping an input or another output.
    private func requireSeparate(_ checked: InlineArray<tensorCount, Tensor?>) throws(VTError) {
        for index in 0..<tensorCount where tensors[index].role != .input {
            guard let output = checked[index], output.count > 0 else { continue }
            for other in 0..<tensorCount where other != index && (tensors[other].role == .input || other < index) {
                guard let input = checked[other], input.count > 0 else { continue }
                if output.address < input.address + input.bytes && input.address < output.address + output.bytes {
                    throw .shapeMismatch("\(output.name) overlaps \(input.name); they must be separate arrays",
                                         argument: "\(output.name)")
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
func requireAtLeast(_ value: Int64, _ minimum: Int64, _ name: StaticString) throws(VTError) {
    guard value >= minimum else { throw .invalidArgument("\(name)=\(value) must be >= \(minimum)", argument: "\(name)") }
}
