/* vidtemporal._C binding of cross-modality localisation. */
#include "vidtemporal_ext.h"

#include <string.h>

/* cml_localize(query_global (N, D), other_local (N, T, D), length, start (N,) int64) */
static PyObject *localize(PyObject *self, PyObject *args) {
    long long length;
    PyObject *start_obj;
    vtx_arg a[2] = {{.name = "query_global", .ndim = 2, .layout = "(N, D)"},
                    {.name = "other_local", .ndim = 3, .layout = "(N, T, D)"}};
    if (!PyArg_ParseTuple(args, "OOLO", &a[0].obj, &a[1].obj, &length, &start_obj)) return NULL;
    const char *fn = "cml_localize";
    if (vtx_get_args(a, 2, fn) < 0) return NULL;
    PyObject *result = NULL;
    Py_buffer start = {0};
    const Py_ssize_t *o = a[1].view.shape;
    Py_ssize_t q[2] = {o[0], o[2]};
    if (vtx_check_arg_shape(&a[0], q, fn) < 0) goto done;
    if (PyObject_GetBuffer(start_obj, &start, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) goto done;
    const char *format = start.format ? start.format : "B";
    if (format[0] == '@' || format[0] == '=' || (format[0] == '<' && format[1])) format++;
    if (start.itemsize != 8 || (strcmp(format, "q") != 0 && strcmp(format, "l") != 0) || start.len != 8 * o[0]) {
        PyErr_Format(PyExc_TypeError, "%s: start must be a writable int64 array of N=%zd elements", fn, o[0]);
        goto done;
    }
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_cml_localize_f32(a[0].view.buf, a[1].view.buf, start.buf, o[0], o[1], o[2], length, &error)
                 : vt_cml_localize_f64(a[0].view.buf, a[1].view.buf, start.buf, o[0], o[1], o[2], length, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release(&start);
    vtx_release_args(a, 2);
    return result;
}

PyMethodDef vtx_cml_localize_methods[] = {
    {"cml_localize", localize, METH_VARARGS, "cml_localize(query_global, other_local, length, start)"},
    {NULL, NULL, 0, NULL},
};
