/* vidtemporal._C: module init, the ABI check, and the helpers every op file uses. */
#include "vidtemporal_ext.h"

#include <string.h>

static void shape_text(const Py_buffer *view, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, "(");
    for (int i = 0; i < view->ndim && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, i ? ", %zd" : "%zd", view->shape[i]);
    if (used < size) snprintf(out + used, size - used, view->ndim == 1 ? ",)" : ")");
}

void vtx_release(Py_buffer *view) {
    if (view->obj) PyBuffer_Release(view);
}

int vtx_get_array(PyObject *obj, const char *fn, const char *name, int ndim, const char *layout,
                  int writable, Py_buffer *view, vtx_dtype *dtype) {
    memset(view, 0, sizeof *view);
    if (!PyObject_CheckBuffer(obj)) {
        PyErr_Format(PyExc_TypeError, "%s: %s must be a float32 or float64 array of shape %s, got %.80s",
                     fn, name, layout, Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (PyObject_GetBuffer(obj, view, PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0) {
        /* Keep the exporter's reason (e.g. "buffer source array is read-only") after ours. */
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        memset(view, 0, sizeof *view);
        PyErr_Format(PyExc_ValueError, "%s: %s must be a %sarray of shape %s (%S)", fn, name,
                     writable ? "writable " : "readable ", layout, value ? value : Py_None);
        Py_XDECREF(type), Py_XDECREF(value), Py_XDECREF(traceback);
        return -1;
    }
    const char *format = view->format ? view->format : "B";
    if (format[0] == '@' || format[0] == '=' || format[0] == '<') format++;
    if (strcmp(format, "f") == 0 && view->itemsize == 4) {
        *dtype = VTX_F32;
    } else if (strcmp(format, "d") == 0 && view->itemsize == 8) {
        *dtype = VTX_F64;
    } else {
        PyErr_Format(PyExc_TypeError, "%s: %s must be float32 or float64, got buffer format '%s'", fn, name,
                     view->format ? view->format : "B");
        goto fail;
    }
    if (view->ndim != ndim) {
        char shape[128];
        shape_text(view, shape, sizeof shape);
        PyErr_Format(PyExc_ValueError, "%s: %s must have %d dims %s, got shape %s", fn, name, ndim, layout, shape);
        goto fail;
    }
    if (!PyBuffer_IsContiguous(view, 'C')) {
        PyErr_Format(PyExc_ValueError, "%s: %s must be C-contiguous %s (numpy.ascontiguousarray makes a copy)",
                     fn, name, layout);
        goto fail;
    }
    return 0;
fail:
    vtx_release(view);
    return -1;
}

int vtx_get_optional_array(PyObject *obj, const char *fn, const char *name, int ndim, const char *layout,
                           Py_buffer *view, vtx_dtype *dtype) {
    if (obj == Py_None) {
        memset(view, 0, sizeof *view);
        return 0;
    }
    return vtx_get_array(obj, fn, name, ndim, layout, 1, view, dtype);
}

int vtx_check_dtype(vtx_dtype dtype, const char *name, vtx_dtype ref_dtype, const char *ref_name,
                    const char *fn) {
    static const char *names[] = {"float32", "float64"};
    if (dtype == ref_dtype) return 0;
    PyErr_Format(PyExc_TypeError, "%s: %s is %s but %s is %s; all arrays must share one dtype", fn, name,
                 names[dtype], ref_name, names[ref_dtype]);
    return -1;
}

int vtx_check_same(const Py_buffer *view, vtx_dtype dtype, const char *name,
                   const Py_buffer *reference, vtx_dtype ref_dtype, const char *ref_name,
                   const char *fn) {
    if (vtx_check_dtype(dtype, name, ref_dtype, ref_name, fn) < 0) return -1;
    int same = view->ndim == reference->ndim;
    for (int i = 0; same && i < view->ndim; i++) same = view->shape[i] == reference->shape[i];
    if (!same) {
        char got[128], want[128];
        shape_text(view, got, sizeof got);
        shape_text(reference, want, sizeof want);
        PyErr_Format(PyExc_ValueError, "%s: %s must have the shape of %s %s, got %s", fn, name, ref_name, want, got);
        return -1;
    }
    return 0;
}

int vtx_check_shape(const Py_buffer *view, const char *name, const Py_ssize_t *dims, const char *layout,
                    const char *fn) {
    int same = 1;
    for (int i = 0; same && i < view->ndim; i++) same = view->shape[i] == dims[i];
    if (same) return 0;
    Py_buffer expected = {.ndim = view->ndim, .shape = (Py_ssize_t *)dims};
    char got[128], want[128];
    shape_text(view, got, sizeof got);
    shape_text(&expected, want, sizeof want);
    PyErr_Format(PyExc_ValueError, "%s: %s must have shape %s = %s, got %s", fn, name, layout, want, got);
    return -1;
}

int vtx_get_args(vtx_arg *args, int count, const char *fn) {
    for (int i = 0; i < count; i++) memset(&args[i].view, 0, sizeof args[i].view);
    for (int i = 0; i < count; i++) {
        vtx_arg *a = &args[i];
        if (a->optional && a->obj == Py_None) continue;
        if (vtx_get_array(a->obj, fn, a->name, a->ndim, a->layout, a->writable, &a->view, &a->dtype) < 0 ||
            (i > 0 && vtx_check_dtype(a->dtype, a->name, args[0].dtype, args[0].name, fn) < 0)) {
            vtx_release_args(args, count);
            return -1;
        }
    }
    return 0;
}

void vtx_release_args(vtx_arg *args, int count) {
    for (int i = 0; i < count; i++) vtx_release(&args[i].view);
}

int vtx_check_arg_shape(const vtx_arg *arg, const Py_ssize_t *dims, const char *fn) {
    if (!arg->view.obj) return 0;
    return vtx_check_shape(&arg->view, arg->name, dims, arg->layout, fn);
}

PyObject *vtx_raise(int32_t status, const vt_error *error) {
    PyObject *type;
    switch (status) {
    case VT_ERR_INVALID_ARGUMENT:
    case VT_ERR_SHAPE_MISMATCH: type = PyExc_ValueError; break;
    case VT_ERR_UNSUPPORTED: type = PyExc_TypeError; break;
    case VT_ERR_ALLOCATION: type = PyExc_MemoryError; break;
    default: type = PyExc_RuntimeError; break;
    }
    PyErr_SetString(type, error->message[0] ? error->message : vt_status_string(status));
    return NULL;
}

PyObject *vtx_result(int32_t status, const vt_error *error) {
    if (status != VT_OK) return vtx_raise(status, error);
    Py_RETURN_NONE;
}

static PyObject *set_num_threads(PyObject *self, PyObject *arg) {
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 0 || n > INT32_MAX) {
        PyErr_Format(PyExc_ValueError, "set_num_threads: n=%ld must be in [1, 2**31 - 1], or 0 for one per CPU", n);
        return NULL;
    }
    vt_error error;
    int32_t status = vt_set_num_threads((int32_t)n, &error);
    if (status != VT_OK) return vtx_raise(status, &error);
    Py_RETURN_NONE;
}

static PyObject *get_num_threads(PyObject *self, PyObject *unused) {
    return PyLong_FromLong(vt_get_num_threads());
}

static PyObject *version(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(vt_version_string());
}

static PyMethodDef library_methods[] = {
    {"set_num_threads", set_num_threads, METH_O, "set_num_threads(n): threads per call; 0 = one per CPU."},
    {"get_num_threads", get_num_threads, METH_NOARGS, "get_num_threads() -> int"},
    {"version", version, METH_NOARGS, "version() -> the library's version string"},
    {NULL, NULL, 0, NULL},
};

/* Every op file's table, concatenated into the module's at init. */
static PyMethodDef *const tables[] = {
    library_methods,
    vtx_temporal_shift_methods,
    vtx_temporal_interlace_methods,
    vtx_global_temporal_attention_methods,
    vtx_region_pool_methods,
    vtx_region_unpool_methods,
    vtx_spatial_attention_methods,
    vtx_dual_attention_matching_methods,
    vtx_dam_loss_methods,
    vtx_cml_localize_methods,
    vtx_correlation_methods,
    vtx_kernel_soft_argmax_methods,
    vtx_motion_squeeze_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "vidtemporal._C",
    .m_doc = "Thin bindings of libvidtemporal (buffers in, GIL released around kernels).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__C(void) {
    if (vt_abi_version() != VT_ABI_VERSION) {
        PyErr_Format(PyExc_ImportError, "vidtemporal._C was built for ABI %d but libvidtemporal.so implements %d",
                     VT_ABI_VERSION, vt_abi_version());
        return NULL;
    }
    static PyMethodDef methods[64];
    size_t count = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (PyMethodDef *m = tables[t]; m->ml_name; m++) {
            if (count + 1 >= sizeof methods / sizeof methods[0]) {
                PyErr_SetString(PyExc_ImportError, "vidtemporal._C: method table too small");
                return NULL;
            }
            methods[count++] = *m;
        }
    module.m_methods = methods;
    return PyModule_Create(&module);
}
