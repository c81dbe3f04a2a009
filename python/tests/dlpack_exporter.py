"""A DLPack producer for the tests: an object over a numpy array's memory whose __dlpack__ describes
it with any device, dtype, shape, strides, byte offset and read-only flag, as a versioned (1.0)
or legacy capsule. It lets the tests reach every convention of the C ABI from Python, including
ones numpy and torch never produce here (a CUDA device, a non-zero byte_offset)."""
import ctypes

import numpy as np


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32), ("dtype", DLDataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("version", DLPackVersion), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p),
                ("flags", ctypes.c_uint64), ("dl_tensor", DLTensor)]


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p)]


kDLCPU, kDLCUDA = 1, 2
kDLInt, kDLFloat, kDLBfloat = 0, 2, 4
READ_ONLY = 1

_new_capsule = ctypes.pythonapi.PyCapsule_New
_new_capsule.restype = ctypes.py_object
_new_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]

_DTYPES = {np.float32: (kDLFloat, 32), np.float64: (kDLFloat, 64), np.int64: (kDLInt, 64)}


class Exporter:
    """`base`'s memory described as `shape` (default: base's), `strides` in elements (None:
    compact), `byte_offset` from base's first byte, `device` (type, id), `dtype` (code, bits,
    lanes; default: base's), `read_only`, and `versioned` (False: the legacy capsule). The
    exporter owns the structs; the capsules borrow them (no deleter)."""

    def __init__(self, base, shape=None, strides=None, byte_offset=0, device=(kDLCPU, 0), dtype=None,
                 read_only=False, versioned=True):
        self.base = base
        shape = base.shape if shape is None else shape
        self.shape = (ctypes.c_int64 * max(len(shape), 1))(*shape)
        self.strides = None if strides is None else (ctypes.c_int64 * max(len(strides), 1))(*strides)
        code, bits = _DTYPES[base.dtype.type] if dtype is None else dtype[:2]
        lanes = 1 if dtype is None or len(dtype) < 3 else dtype[2]
        tensor = DLTensor(base.ctypes.data, DLDevice(*device), len(shape), DLDataType(code, bits, lanes),
                          ctypes.cast(self.shape, ctypes.POINTER(ctypes.c_int64)),
                          None if self.strides is None else ctypes.cast(self.strides, ctypes.POINTER(ctypes.c_int64)),
                          byte_offset)
        if versioned:
            self.managed = DLManagedTensorVersioned(DLPackVersion(1, 0), None, None, READ_ONLY if read_only else 0,
                                                    tensor)
            self.name = b"dltensor_versioned"
        else:
            self.managed = DLManagedTensor(tensor, None, None)
            self.name = b"dltensor"

    def __dlpack__(self, *, max_version=None, stream=None, dl_device=None, copy=None):
        return _new_capsule(ctypes.addressof(self.managed), self.name, None)

    def __dlpack_device__(self):
        return (self.managed.dl_tensor.device.device_type, self.managed.dl_tensor.device.device_id)
