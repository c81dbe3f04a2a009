import CVidTemporal

/// The element types the library knows: what a DLTensor's dtype may be for some function.
/// float16 and bfloat16 are storage types: data movement handles their bytes, compute runs in
/// float32 (`Signature.inFloat32`).
enum DType: Sendable, Equatable {
    case float32, float64, float16, bfloat16, int64

    init?(_ type: DLDataType) {
        guard type.lanes == 1 else { return nil }
        switch (UInt32(type.code), type.bits) {
        case (kDLFloat.rawValue, 32): self = .float32
        case (kDLFloat.rawValue, 64): self = .float64
        case (kDLFloat.rawValue, 16): self = .float16
        case (kDLBfloat.rawValue, 16): self = .bfloat16
        case (kDLInt.rawValue, 64): self = .int64
        default: return nil
        }
    }

    var size: Int {
        switch self {
        case .float16, .bfloat16: 2
        case .float32: 4
        case .float64, .int64: 8
        }
    }

    var name: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        case .int64: "int64"
        }
    }

    /// A dtype's name for messages, including the ones the library does not serve.
    static func describe(_ type: DLDataType) -> String {
        let code: String = switch UInt32(type.code) {
        case kDLInt.rawValue: "int"
        case kDLUInt.rawValue: "uint"
        case kDLFloat.rawValue: "float"
        case kDLBfloat.rawValue: "bfloat"
        case kDLComplex.rawValue: "complex"
        case 6: "bool"  // kDLBool, DLPack 1.0
        default: "type code \(type.code) of "
        }
        return code + "\(type.bits)" + (type.lanes == 1 ? "" : "x\(type.lanes)")
    }
}

extension DLDeviceType {
    /// The device's name for messages ("kDLCUDA"); DLPack 1.x types too, which the 0.6 header lacks.
    var name: String {
        let names = [1: "kDLCPU", 2: "kDLCUDA", 3: "kDLCUDAHost", 4: "kDLOpenCL", 7: "kDLVulkan", 8: "kDLMetal",
                     9: "kDLVPI", 10: "kDLROCM", 11: "kDLROCMHost", 12: "kDLExtDev", 13: "kDLCUDAManaged",
                     14: "kDLOneAPI", 15: "kDLWebGPU", 16: "kDLHexagon", 17: "kDLMAIA"]
        return names[Int(rawValue)] ?? "device type \(rawValue)"
    }
}
