/* vidtemporal._C bindings of region unpooling. */
#include "vidtemporal_ext.h"

/* region_unpool_forward(r, assign, out) */
static PyObject *forward(PyObject *self, PyObject *args) {
    vtx_arg a[3] = {{.name = "r", .ndim = 3, .layout = "(B, C, K)"},
                    {.name = "assign", .ndim = 3, .layout = "(B, K, S)"},
                    {.name = "out", .ndim = 3, .layout = "(B, C, S)", .writable = 1}};
    if (!PyArg_ParseTuple(args, "OOO", &a[0].obj, &a[1].obj, &a[2].obj)) return NULL;
    const char *fn = "region_unpool";
    if (vtx_get_args(a, 3, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *r = a[0].view.shape;
    Py_ssize_t s = a[1].view.shape[2], assign[3] = {r[0], r[2], s}, out[3] = {r[0], r[1], s};
    if (vtx_check_arg_shape(&a[1], assign, fn) < 0 || vtx_check_arg_shape(&a[2], out, fn) < 0) goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_region_unpool_forward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf, r[0], r[1], s, r[2], &error)
                 : vt_region_unpool_forward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf, r[0], r[1], s, r[2], &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 3);
    return result;
}

/* region_unpool_backward(grad, r, assign, grad_r, grad_assign) */
static PyObject *backward(PyObject *self, PyObject *args) {
    vtx_arg a[5] = {{.name = "grad", .ndim = 3, .layout = "(B, C, S)"},
                    {.name = "r", .ndim = 3, .layout = "(B, C, K)"},
                    {.name = "assign", .ndim = 3, .layout = "(B, K, S)"},
                    {.name = "grad_r", .ndim = 3, .layout = "(B, C, K)", .writable = 1, .optional = 1},
                    {.name = "grad_assign", .ndim = 3, .layout = "(B, K, S)", .writable = 1, .optional = 1}};
    if (!PyArg_ParseTuple(args, "OOOOO", &a[0].obj, &a[1].obj, &a[2].obj, &a[3].obj, &a[4].obj)) return NULL;
    const char *fn = "region_unpool_backward";
    if (vtx_get_args(a, 5, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *r = a[1].view.shape;
    Py_ssize_t s = a[2].view.shape[2], assign[3] = {r[0], r[2], s}, grad[3] = {r[0], r[1], s};
    if (vtx_check_arg_shape(&a[2], assign, fn) < 0 || vtx_check_arg_shape(&a[0], grad, fn) < 0 ||
        vtx_check_arg_shape(&a[3], r, fn) < 0 || vtx_check_arg_shape(&a[4], assign, fn) < 0)
        goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_region_unpool_backward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf, a[3].view.buf,
                                                 a[4].view.buf, r[0], r[1], s, r[2], &error)
                 : vt_region_unpool_backward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf, a[3].view.buf,
                                                 a[4].view.buf, r[0], r[1], s, r[2], &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 5);
    return result;
}

PyMethodDef vtx_region_unpool_methods[] = {
    {"region_unpool_forward", forward, METH_VARARGS, "region_unpool_forward(r, assign, out)"},
    {"region_unpool_backward", backward, METH_VARARGS, "region_unpool_backward(grad, r, assign, grad_r, grad_assign)"},
    {NULL, NULL, 0, NULL},
};
