/* Shared pieces of the CPython extension vidtemporal._C: tensors from DLPack producers, scalar
 * arguments, the one status -> exception map. The per-function entry points are generated
 * (ops_generated.c, from the op table); they only unpack arguments and call the library, which
 * checks every tensor. */
#ifndef VIDTEMPORAL_EXT_H
#define VIDTEMPORAL_EXT_H

/* The limited API of CPython 3.10: one build (an abi3 wheel) serves every CPython from 3.10 on. */
#define Py_LIMITED_API 0x030A0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <vidtemporal.h>

/* DLPack 1.x's versioned managed tensor: the published 1.0 ABI (Debian's 0.6 header lacks it). */
typedef struct {
    uint32_t major;
    uint32_t minor;
} vtx_dlpack_version;

typedef struct vtx_managed_tensor_versioned {
    vtx_dlpack_version version;
    void *manager_ctx;
    void (*deleter)(struct vtx_managed_tensor_versioned *self);
    uint64_t flags;
    DLTensor dl_tensor;
} vtx_managed_tensor_versioned;

#define VTX_DLPACK_FLAG_READ_ONLY (UINT64_C(1) << 0)

/* What an entry point knows of one tensor argument. */
typedef struct {
    const char *name;
    int writable; /* an output, or a tensor written in place */
    int optional; /* None allowed: the library gets NULL */
} vtx_spec;

/* One tensor argument while a call runs: the DLTensor the library reads, and what keeps the
 * producer's memory alive until vtx_release_tensors. */
typedef struct {
    DLTensor *dl;                          /* NULL for an absent optional tensor */
    PyObject *capsule;                     /* from __dlpack__ (its destructor frees the tensor) */
    vtx_managed_tensor_versioned *managed; /* from a producer's C exchange API */
} vtx_tensor;

/* Gets every tensor argument (objects exporting __dlpack__, or None where optional). `fn` names
 * the function in messages. On failure raises, releases what it got and returns -1. */
int vtx_get_tensors(PyObject *const *objects, const char *fn, const vtx_spec *specs, int count, vtx_tensor *tensors);

/* Releases what vtx_get_tensors got (safe on a zeroed array). */
void vtx_release_tensors(vtx_tensor *tensors, int count);

/* Scalar arguments: each raises TypeError or ValueError naming fn and the argument, returns -1. */
int vtx_int64(PyObject *object, const char *fn, const char *name, int64_t *out);
int vtx_int32(PyObject *object, const char *fn, const char *name, int32_t *out);
int vtx_flag(PyObject *object, const char *fn, const char *name, int32_t *out);
int vtx_double(PyObject *object, const char *fn, const char *name, double *out);

/* Raises type("fn: <detail>"), the detail formatted as PyUnicode_FromFormat does, with the
 * error's parts as attributes: .function (fn), .argument (the argument at fault, "" for none)
 * and .detail. Every error the extension raises for a call is made here. Returns NULL. */
PyObject *vtx_raise(PyObject *type, const char *fn, const char *argument, const char *format, ...);

/* Raises TypeError "fn: name must be <what>, got <type(obj).__name__>" (vtx_raise). */
void vtx_type_error(const char *fn, const char *name, const char *what, PyObject *obj);

/* Raises TypeError unless a call got exactly `expected` positional arguments. */
int vtx_arity(const char *fn, Py_ssize_t nargs, Py_ssize_t expected);

/* The result of the library call behind the entry point fn: None for VT_OK, else NULL with the
 * exception for the status raised (ValueError for invalid arguments and shapes,
 * vidtemporal.UnsupportedError (a TypeError and a ValueError) for dtypes, devices and layouts,
 * MemoryError, else RuntimeError) by vtx_raise: the library's argument at fault, and its message
 * as the detail. `module` is the extension module (its state holds UnsupportedError). */
PyObject *vtx_result(PyObject *module, const char *fn, int32_t status, const vt_error *error);

/* The stream behind a capsule made by temporal_shift_stream_create (NULL with TypeError raised). */
vt_temporal_shift_stream *vtx_handle_stream(PyObject *capsule, const char *fn);

/* The generated entry points, and the hand-written ones of the stream's lifecycle. */
extern PyMethodDef vtx_op_methods[];
extern PyMethodDef vtx_stream_methods[];

#endif
