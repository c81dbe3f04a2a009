import CVidTemporal

/// One tensor argument of a call, checked against its function's signature: where its first
/// element is (data + byte_offset, or a never-read placeholder for an empty tensor), its dtype
/// and its dims. It borrows the caller's DLTensor for the duration of the call.
struct Tensor: @unchecked Sendable {
    /// How the elements lie in memory. A 4-d tensor whose memory is both (C = 1, or H = W = 1)
    /// is `.either`.
    enum Layout: Sendable { case rowMajor, channelsLast, either }

    let name: StaticString
    let address: UnsafeMutableRawPointer
    let dtype: DType
    let count: Int
    let layout: Layout
    private let tensor: UnsafePointer<DLTensor>

    init(name: StaticString, tensor: UnsafePointer<DLTensor>, address: UnsafeMutableRawPointer?, dtype: DType, count: Int,
         layout: Layout = .rowMajor) {
        self.name = name
        self.tensor = tensor
        self.address = address ?? UnsafeMutableRawPointer(bitPattern: 64)!
        self.dtype = dtype
        self.count = count
        self.layout = layout
    }

    /// The same tensor (name, dims) with its elements elsewhere, as `dtype`: a converted copy.
    func retyped(_ address: UnsafeMutableRawPointer, _ dtype: DType) -> Tensor {
        Tensor(name: name, tensor: tensor, address: count > 0 ? address : nil, dtype: dtype, count: count, layout: layout)
    }

    var ndim: Int { Int(tensor.pointee.ndim) }
    var bytes: Int { count * dtype.size }

    func dim(_ index: Int) -> Int { Int(tensor.pointee.shape![index]) }

    /// The elements as T, which must be the tensor's element type (the signature checked it).
    func pointer<T>(_: T.Type = T.self) -> UnsafePointer<T> {
        UnsafePointer(address.assumingMemoryBound(to: T.self))
    }

    /// The elements of an output, writable.
    func mutablePointer<T>(_: T.Type = T.self) -> UnsafeMutablePointer<T> {
        address.assumingMemoryBound(to: T.self)
    }
}
