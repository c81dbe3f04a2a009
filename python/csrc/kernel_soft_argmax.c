/* vidtemporal._C bindings of the kernel soft-argmax. */
#include "vidtemporal_ext.h"

#define VOLUME "(B, P, P, H, W)"

/* kernel_soft_argmax_forward(corr, displacement, confidence, sigma, temperature) */
static PyObject *forward(PyObject *self, PyObject *args) {
    double sigma, temperature;
    vtx_arg a[3] = {{.name = "corr", .ndim = 5, .layout = VOLUME},
                    {.name = "displacement", .ndim = 4, .layout = "(B, 2, H, W)", .writable = 1},
                    {.name = "confidence", .ndim = 4, .layout = "(B, 1, H, W)", .writable = 1}};
    if (!PyArg_ParseTuple(args, "OOOdd", &a[0].obj, &a[1].obj, &a[2].obj, &sigma, &temperature)) return NULL;
    const char *fn = "kernel_soft_argmax";
    if (vtx_get_args(a, 3, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *c = a[0].view.shape;
    Py_ssize_t displacement[4] = {c[0], 2, c[3], c[4]}, confidence[4] = {c[0], 1, c[3], c[4]};
    if (c[1] != c[2]) {
        PyErr_Format(PyExc_ValueError, "%s: corr must be (B, P, P, H, W) with equal P dims, got P = %zd and %zd", fn,
                     c[1], c[2]);
        goto done;
    }
    if (vtx_check_arg_shape(&a[1], displacement, fn) < 0 || vtx_check_arg_shape(&a[2], confidence, fn) < 0) goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_kernel_soft_argmax_forward_f32(a[0].view.buf, a[1].view.buf, a[2].view.buf, c[0], c[1], c[3], c[4],
                                                     sigma, temperature, &error)
                 : vt_kernel_soft_argmax_forward_f64(a[0].view.buf, a[1].view.buf, a[2].view.buf, c[0], c[1], c[3], c[4],
                                                     sigma, temperature, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 3);
    return result;
}

/* kernel_soft_argmax_backward(grad_displacement, grad_confidence, corr, grad_corr, sigma, temperature);
 * either output gradient may be None (zero). corr comes first in the array: its dtype rules. */
static PyObject *backward(PyObject *self, PyObject *args) {
    double sigma, temperature;
    vtx_arg a[4] = {{.name = "corr", .ndim = 5, .layout = VOLUME},
                    {.name = "grad_displacement", .ndim = 4, .layout = "(B, 2, H, W)", .optional = 1},
                    {.name = "grad_confidence", .ndim = 4, .layout = "(B, 1, H, W)", .optional = 1},
                    {.name = "grad_corr", .ndim = 5, .layout = VOLUME, .writable = 1}};
    if (!PyArg_ParseTuple(args, "OOOOdd", &a[1].obj, &a[2].obj, &a[0].obj, &a[3].obj, &sigma, &temperature))
        return NULL;
    const char *fn = "kernel_soft_argmax_backward";
    if (vtx_get_args(a, 4, fn) < 0) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t *c = a[0].view.shape;
    Py_ssize_t displacement[4] = {c[0], 2, c[3], c[4]}, confidence[4] = {c[0], 1, c[3], c[4]};
    if (c[1] != c[2]) {
        PyErr_Format(PyExc_ValueError, "%s: corr must be (B, P, P, H, W) with equal P dims, got P = %zd and %zd", fn,
                     c[1], c[2]);
        goto done;
    }
    if (vtx_check_arg_shape(&a[1], displacement, fn) < 0 || vtx_check_arg_shape(&a[2], confidence, fn) < 0 ||
        vtx_check_arg_shape(&a[3], c, fn) < 0)
        goto done;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = a[0].dtype == VTX_F32
                 ? vt_kernel_soft_argmax_backward_f32(a[1].view.buf, a[2].view.buf, a[0].view.buf, a[3].view.buf, c[0],
                                                      c[1], c[3], c[4], sigma, temperature, &error)
                 : vt_kernel_soft_argmax_backward_f64(a[1].view.buf, a[2].view.buf, a[0].view.buf, a[3].view.buf, c[0],
                                                      c[1], c[3], c[4], sigma, temperature, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release_args(a, 4);
    return result;
}

PyMethodDef vtx_kernel_soft_argmax_methods[] = {
    {"kernel_soft_argmax_forward", forward, METH_VARARGS,
     "kernel_soft_argmax_forward(corr, displacement, confidence, sigma, temperature)"},
    {"kernel_soft_argmax_backward", backward, METH_VARARGS,
     "kernel_soft_argmax_backward(grad_displacement, grad_confidence, corr, grad_corr, sigma, temperature)"},
    {NULL, NULL, 0, NULL},
};
