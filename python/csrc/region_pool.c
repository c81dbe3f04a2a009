/* vidtemporal._C bindings of region pooling. */
#include "vidtemporal_ext.h"

/* region_pool_forward(x, assign, out, normalize) */
static PyObject *forward(PyObject *self, PyObject *args) {
    int normalize;
    vtx_arg a[3] = {{.name = "x", .ndim = 3, .layout = "(B, C, S)"},
                    {.name = "assign", .ndim = 3, .layout = "(B, K, S)"},
                    {.name = "out", .ndim = 3, .layout = "(B, C, K)", .writable = 1}};
    if (!PyArg_ParseTuple(args, "OOOp", &a[0].obj, &a[1].obj, &a[2].obj, &normalize)) return NULL;
    const char *fn = "region_pool";
    if (vtx_get_args(a, 3, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *x = a[0].view.shape;
    Py_ssize_t k = a[1].view.shape[1], assign[3] = {x[0], k, x[2]}, out[3] = {x[0], x[1], k};
    if (vtx_check_arg_shape(&a[1], assign, fn) < 0 || vtx_check_arg_shape(&a[2], out, fn) < 0) goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32 ? vt_region_pool_forward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf, x[0], x[1],
                                                                x[2], k, normalize, &error)
                                   : vt_region_pool_forward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf, x[0], x[1],
                                                                x[2], k, normalize, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 3);
    return result;
}

/* region_pool_backward(grad, x, assign, grad_x, grad_assign, normalize) */
static PyObject *backward(PyObject *self, PyObject *args) {
    int normalize;
    vtx_arg a[5] = {{.name = "grad", .ndim = 3, .layout = "(B, C, K)"},
                    {.name = "x", .ndim = 3, .layout = "(B, C, S)"},
                    {.name = "assign", .ndim = 3, .layout = "(B, K, S)"},
                    {.name = "grad_x", .ndim = 3, .layout = "(B, C, S)", .writable = 1, .optional = 1},
                    {.name = "grad_assign", .ndim = 3, .layout = "(B, K, S)", .writable = 1, .optional = 1}};
    if (!PyArg_ParseTuple(args, "OOOOOp", &a[0].obj, &a[1].obj, &a[2].obj, &a[3].obj, &a[4].obj, &normalize))
        return NULL;
    const char *fn = "region_pool_backward";
    if (vtx_get_args(a, 5, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *x = a[1].view.shape;
    Py_ssize_t k = a[2].view.shape[1], assign[3] = {x[0], k, x[2]}, grad[3] = {x[0], x[1], k};
    if (vtx_check_arg_shape(&a[2], assign, fn) < 0 || vtx_check_arg_shape(&a[0], grad, fn) < 0 ||
        vtx_check_arg_shape(&a[3], x, fn) < 0 || vtx_check_arg_shape(&a[4], assign, fn) < 0)
        goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_region_pool_backward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf, a[3].view.buf,
                                               a[4].view.buf, x[0], x[1], x[2], k, normalize, &error)
                 : vt_region_pool_backward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf, a[3].view.buf,
                                               a[4].view.buf, x[0], x[1], x[2], k, normalize, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 5);
    return result;
}

PyMethodDef vtx_region_pool_methods[] = {
    {"region_pool_forward", forward, METH_VARARGS, "region_pool_forward(x, assign, out, normalize)"},
    {"region_pool_backward", backward, METH_VARARGS,
     "region_pool_backward(grad, x, assign, grad_x, grad_assign, normalize)"},
    {NULL, NULL, 0, NULL},
};
