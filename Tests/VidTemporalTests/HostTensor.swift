import CVidTemporal

/// The element types the tests build tensors of.
protocol TensorElement {
    static var dlType: DLDataType { get }
}

extension Float: TensorElement { static var dlType: DLDataType { DLDataType(code: UInt8(kDLFloat.rawValue), bits: 32, lanes: 1) } }
extension Double: TensorElement { static var dlType: DLDataType { DLDataType(code: UInt8(kDLFloat.rawValue), bits: 64, lanes: 1) } }
extension Int64: TensorElement { static var dlType: DLDataType { DLDataType(code: UInt8(kDLInt.rawValue), bits: 64, lanes: 1) } }

/// A tensor the tests own, as a C caller would build it: elements, shape (and strides) in memory
/// that outlives the calls, and the DLTensor describing them. `tensor` goes to the vt_ functions.
final class HostTensor {
    let tensor: UnsafeMutablePointer<DLTensor>
    /// nil for a view over someone else's memory.
    private let storage: UnsafeMutableRawPointer?
    private let shape: UnsafeMutablePointer<Int64>
    private var strides: UnsafeMutablePointer<Int64>?
    private let capacity: Int
    private let elementSize: Int

    /// A compact row-major tensor holding `values` (padded with zeros up to the shape's count).
    init<T: TensorElement>(_ values: [T], shape dims: [Int]) {
        let count = dims.reduce(1, *)
        precondition(values.count <= count, "more values than the shape holds")
        elementSize = MemoryLayout<T>.stride
        capacity = max(count, values.count, 1)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: capacity * elementSize, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * elementSize)
        values.withUnsafeBytes { if let base = $0.baseAddress { storage.copyMemory(from: base, byteCount: $0.count) } }
        self.storage = storage
        shape = .allocate(capacity: 8)
        for (i, d) in dims.enumerated() { shape[i] = Int64(d) }
        tensor = .allocate(capacity: 1)
        tensor.initialize(to: DLTensor(data: storage, device: DLDevice(device_type: kDLCPU, device_id: 0),
                                       ndim: Int32(dims.count), dtype: T.dlType, shape: shape, strides: nil,
                                       byte_offset: 0))
    }

    /// A DLTensor over `data` (not owned, may be NULL) with any shape, even a negative or huge
    /// one: for the argument checks.
    init(shape dims: [Int64], dtype: DLDataType, data: UnsafeMutableRawPointer?) {
        storage = nil
        capacity = 0
        elementSize = Int(dtype.bits) / 8
        shape = .allocate(capacity: 8)
        for (i, d) in dims.enumerated() { shape[i] = d }
        tensor = .allocate(capacity: 1)
        tensor.initialize(to: DLTensor(data: data, device: DLDevice(device_type: kDLCPU, device_id: 0),
                                       ndim: Int32(dims.count), dtype: dtype, shape: shape, strides: nil,
                                       byte_offset: 0))
    }

    /// A tensor of `dims` filled with `value`.
    convenience init<T: TensorElement>(repeating value: T, shape dims: [Int]) {
        self.init([T](repeating: value, count: dims.reduce(1, *)), shape: dims)
    }

    deinit {
        storage?.deallocate()
        shape.deallocate()
        strides?.deallocate()
        tensor.deallocate()
    }

    /// Element strides for the DLTensor (nil: compact).
    func setStrides(_ values: [Int]?) {
        strides?.deallocate()
        strides = nil
        if let values {
            strides = .allocate(capacity: max(values.count, 1))
            for (i, s) in values.enumerated() { strides![i] = Int64(s) }
        }
        tensor.pointee.strides = strides
    }

    /// Describes `dims` starting `offset` elements into the storage (through byte_offset).
    func view(_ dims: [Int], offset: Int) {
        precondition(dims.count <= 8 && offset + dims.reduce(1, *) <= capacity, "the view does not fit")
        for (i, d) in dims.enumerated() { shape[i] = Int64(d) }
        tensor.pointee.ndim = Int32(dims.count)
        tensor.pointee.byte_offset = UInt64(offset * elementSize)
    }

    /// The first `count` elements as T (all of them by default).
    func values<T: TensorElement>(_: T.Type = T.self, count: Int? = nil) -> [T] {
        let n = count ?? Int(tensor.pointee.ndim == 0 ? 1 : (0..<Int(tensor.pointee.ndim)).reduce(1) { $0 * Int(shape[$1]) })
        let start = tensor.pointee.data! + Int(tensor.pointee.byte_offset)
        return Array(UnsafeBufferPointer(start: start.assumingMemoryBound(to: T.self), count: n))
    }

    /// The whole storage, whatever the DLTensor says (to check nothing was written).
    func storageValues<T: TensorElement>(_: T.Type = T.self) -> [T] {
        Array(UnsafeBufferPointer(start: storage!.assumingMemoryBound(to: T.self),
                                  count: capacity * elementSize / MemoryLayout<T>.stride))
    }

    var dl: UnsafeMutablePointer<DLTensor> { tensor }

    /// The shape the DLTensor describes.
    var dims: [Int] { (0..<Int(tensor.pointee.ndim)).map { Int(shape[$0]) } }
}

/// The message of a call's error record.
func message(of error: vt_error) -> String {
    withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}
