/* Shared pieces of the CPython extension vidtemporal._C: argument buffers, the one
 * status -> exception map, and each op file's method table. */
#ifndef VIDTEMPORAL_EXT_H
#define VIDTEMPORAL_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <vidtemporal.h>

/* The dtypes the library serves, from a buffer's format. */
typedef enum { VTX_F32 = 0, VTX_F64 = 1 } vtx_dtype;

/* A float32/float64, C-contiguous array argument of exactly `ndim` dims. `fn` and `name` name
 * the Python function and argument in every message; `layout` documents the expected shape,
 * e.g. "(N*T, C, H, W)". On failure raises and returns -1 with view released. */
int vtx_get_array(PyObject *obj, const char *fn, const char *name, int ndim, const char *layout,
                  int writable, Py_buffer *view, vtx_dtype *dtype);

/* Raises unless `view` has the same dtype and shape as `reference` (named ref_name). */
int vtx_check_same(const Py_buffer *view, vtx_dtype dtype, const char *name,
                   const Py_buffer *reference, vtx_dtype ref_dtype, const char *ref_name,
                   const char *fn);

/* Raises TypeError unless dtype == ref_dtype (all arrays of one call share a dtype). */
int vtx_check_dtype(vtx_dtype dtype, const char *name, vtx_dtype ref_dtype, const char *ref_name,
                    const char *fn);

/* Raises ValueError unless view's shape is `dims` (view->ndim entries); `layout` names them,
 * e.g. "(N, G)". */
int vtx_check_shape(const Py_buffer *view, const char *name, const Py_ssize_t *dims, const char *layout,
                    const char *fn);

/* Like vtx_get_array, but None gives a zeroed view (buf == NULL): an output not asked for. */
int vtx_get_optional_array(PyObject *obj, const char *fn, const char *name, int ndim, const char *layout,
                           Py_buffer *view, vtx_dtype *dtype);

/* Raises the exception for a failed library call: ValueError for invalid arguments and shapes,
 * TypeError for unsupported requests (dtype), MemoryError, else RuntimeError (a NULL pointer
 * here is the extension's bug, not the caller's); the message is the library's. Returns NULL
 * for `return vtx_raise(...)`. */
PyObject *vtx_raise(int32_t status, const vt_error *error);

/* A binding's result for a library status: None for VT_OK, else NULL with the exception raised. */
PyObject *vtx_result(int32_t status, const vt_error *error);

/* Releases a view if it holds a buffer (safe on a zeroed, never-filled view). */
void vtx_release(Py_buffer *view);

/* One array argument of a call, for vtx_get_args: the object and what it must be. */
typedef struct {
    PyObject *obj;
    const char *name;
    int ndim;
    const char *layout; /* e.g. "(B, C, S)" */
    int writable;       /* an output */
    int optional;       /* None allowed: view.buf stays NULL (an output not asked for) */
    Py_buffer view;
    vtx_dtype dtype;
} vtx_arg;

/* Gets every argument's buffer (vtx_get_array's checks) and checks that all share the first's
 * dtype. On failure raises and releases what it got. */
int vtx_get_args(vtx_arg *args, int count, const char *fn);

/* Releases every argument's buffer. */
void vtx_release_args(vtx_arg *args, int count);

/* Raises ValueError unless a present argument has shape `dims` (its ndim entries). */
int vtx_check_arg_shape(const vtx_arg *arg, const Py_ssize_t *dims, const char *fn);

/* Method tables, one per op file, ending with a {NULL} sentinel. */
extern PyMethodDef vtx_temporal_shift_methods[];
extern PyMethodDef vtx_temporal_interlace_methods[];
extern PyMethodDef vtx_global_temporal_attention_methods[];
extern PyMethodDef vtx_region_pool_methods[];
extern PyMethodDef vtx_region_unpool_methods[];
extern PyMethodDef vtx_spatial_attention_methods[];
extern PyMethodDef vtx_dual_attention_matching_methods[];
extern PyMethodDef vtx_dam_loss_methods[];
extern PyMethodDef vtx_cml_localize_methods[];
extern PyMethodDef vtx_correlation_methods[];
extern PyMethodDef vtx_kernel_soft_argmax_methods[];
extern PyMethodDef vtx_motion_squeeze_methods[];

#endif
