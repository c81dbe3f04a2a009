/* vidtemporal._C bindings of temporal interlace. */
#include "vidtemporal_ext.h"

#define LAYOUT "(N*T, C, H, W)"

/* The checks both directions share: x's layout fixes N = nt / T; offsets must be (N, G) and
 * weights (N, T, G), with G read from offsets. When nt is not a multiple of T the library
 * reports it (it validates before touching any array). */
static int check_parameters(const Py_buffer *x, const Py_buffer *offsets, const Py_buffer *weights,
                            long long num_segments, const char *fn) {
    if (num_segments < 1 || x->shape[0] % num_segments != 0) return 0;
    Py_ssize_t clips = x->shape[0] / (Py_ssize_t)num_segments, groups = offsets->shape[1];
    Py_ssize_t offsets_dims[2] = {clips, groups};
    Py_ssize_t weights_dims[3] = {clips, (Py_ssize_t)num_segments, groups};
    if (vtx_check_shape(offsets, "offsets", offsets_dims, "(N, G)", fn) < 0) return -1;
    return vtx_check_shape(weights, "weights", weights_dims, "(N, T, G)", fn);
}

/* temporal_interlace_forward(x, offsets, weights, y, num_segments, shift_div) */
static PyObject *temporal_interlace_forward(PyObject *self, PyObject *args) {
    PyObject *x_obj, *offsets_obj, *weights_obj, *y_obj;
    long long num_segments, shift_div;
    if (!PyArg_ParseTuple(args, "OOOOLL", &x_obj, &offsets_obj, &weights_obj, &y_obj, &num_segments, &shift_div))
        return NULL;
    const char *fn = "temporal_interlace";
    Py_buffer x = {0}, offsets = {0}, weights = {0}, y = {0};
    vtx_dtype x_dtype, offsets_dtype, weights_dtype, y_dtype;
    PyObject *result = NULL;
    if (vtx_get_array(x_obj, fn, "x", 4, LAYOUT, 0, &x, &x_dtype) < 0) goto done;
    if (vtx_get_array(offsets_obj, fn, "offsets", 2, "(N, G)", 0, &offsets, &offsets_dtype) < 0) goto done;
    if (vtx_get_array(weights_obj, fn, "weights", 3, "(N, T, G)", 0, &weights, &weights_dtype) < 0) goto done;
    if (vtx_get_array(y_obj, fn, "out", 4, LAYOUT, 1, &y, &y_dtype) < 0) goto done;
    if (vtx_check_dtype(offsets_dtype, "offsets", x_dtype, "x", fn) < 0) goto done;
    if (vtx_check_dtype(weights_dtype, "weights", x_dtype, "x", fn) < 0) goto done;
    if (vtx_check_same(&y, y_dtype, "out", &x, x_dtype, "x", fn) < 0) goto done;
    if (check_parameters(&x, &offsets, &weights, num_segments, fn) < 0) goto done;

    const Py_ssize_t *s = x.shape;
    int64_t groups = offsets.shape[1];
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = x_dtype == VTX_F32
                 ? vt_temporal_interlace_forward_f32(x.buf, offsets.buf, weights.buf, y.buf, s[0], s[1], s[2], s[3],
                                                     num_segments, shift_div, groups, &error)
                 : vt_temporal_interlace_forward_f64(x.buf, offsets.buf, weights.buf, y.buf, s[0], s[1], s[2], s[3],
                                                     num_segments, shift_div, groups, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release(&x);
    vtx_release(&offsets);
    vtx_release(&weights);
    vtx_release(&y);
    return result;
}

/* temporal_interlace_backward(grad, x, offsets, weights, grad_x, grad_offsets, grad_weights,
 * num_segments, shift_div); a None gradient output is not computed. */
static PyObject *temporal_interlace_backward(PyObject *self, PyObject *args) {
    PyObject *grad_obj, *x_obj, *offsets_obj, *weights_obj, *gx_obj, *go_obj, *gw_obj;
    long long num_segments, shift_div;
    if (!PyArg_ParseTuple(args, "OOOOOOOLL", &grad_obj, &x_obj, &offsets_obj, &weights_obj, &gx_obj, &go_obj, &gw_obj,
                          &num_segments, &shift_div))
        return NULL;
    const char *fn = "temporal_interlace_backward";
    Py_buffer grad = {0}, x = {0}, offsets = {0}, weights = {0}, gx = {0}, go = {0}, gw = {0};
    vtx_dtype grad_dtype, x_dtype, offsets_dtype, weights_dtype, gx_dtype, go_dtype, gw_dtype;
    PyObject *result = NULL;
    if (vtx_get_array(grad_obj, fn, "grad", 4, LAYOUT, 0, &grad, &grad_dtype) < 0) goto done;
    if (vtx_get_array(x_obj, fn, "x", 4, LAYOUT, 0, &x, &x_dtype) < 0) goto done;
    if (vtx_get_array(offsets_obj, fn, "offsets", 2, "(N, G)", 0, &offsets, &offsets_dtype) < 0) goto done;
    if (vtx_get_array(weights_obj, fn, "weights", 3, "(N, T, G)", 0, &weights, &weights_dtype) < 0) goto done;
    if (vtx_get_optional_array(gx_obj, fn, "grad_x", 4, LAYOUT, &gx, &gx_dtype) < 0) goto done;
    if (vtx_get_optional_array(go_obj, fn, "grad_offsets", 2, "(N, G)", &go, &go_dtype) < 0) goto done;
    if (vtx_get_optional_array(gw_obj, fn, "grad_weights", 3, "(N, T, G)", &gw, &gw_dtype) < 0) goto done;
    if (vtx_check_same(&grad, grad_dtype, "grad", &x, x_dtype, "x", fn) < 0) goto done;
    if (vtx_check_dtype(offsets_dtype, "offsets", x_dtype, "x", fn) < 0) goto done;
    if (vtx_check_dtype(weights_dtype, "weights", x_dtype, "x", fn) < 0) goto done;
    if (check_parameters(&x, &offsets, &weights, num_segments, fn) < 0) goto done;
    if (gx.obj && vtx_check_same(&gx, gx_dtype, "grad_x", &x, x_dtype, "x", fn) < 0) goto done;
    if (go.obj && vtx_check_same(&go, go_dtype, "grad_offsets", &offsets, x_dtype, "offsets", fn) < 0) goto done;
    if (gw.obj && vtx_check_same(&gw, gw_dtype, "grad_weights", &weights, x_dtype, "weights", fn) < 0) goto done;

    const Py_ssize_t *s = x.shape;
    int64_t groups = offsets.shape[1];
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = x_dtype == VTX_F32
                 ? vt_temporal_interlace_backward_f32(grad.buf, x.buf, offsets.buf, weights.buf, gx.buf, go.buf, gw.buf,
                                                      s[0], s[1], s[2], s[3], num_segments, shift_div, groups, &error)
                 : vt_temporal_interlace_backward_f64(grad.buf, x.buf, offsets.buf, weights.buf, gx.buf, go.buf, gw.buf,
                                                      s[0], s[1], s[2], s[3], num_segments, shift_div, groups, &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release(&grad);
    vtx_release(&x);
    vtx_release(&offsets);
    vtx_release(&weights);
    vtx_release(&gx);
    vtx_release(&go);
    vtx_release(&gw);
    return result;
}

PyMethodDef vtx_temporal_interlace_methods[] = {
    {"temporal_interlace_forward", temporal_interlace_forward, METH_VARARGS,
     "temporal_interlace_forward(x, offsets, weights, out, num_segments, shift_div)"},
    {"temporal_interlace_backward", temporal_interlace_backward, METH_VARARGS,
     "temporal_interlace_backward(grad, x, offsets, weights, grad_x, grad_offsets, grad_weights, num_segments, "
     "shift_div)"},
    {NULL, NULL, 0, NULL},
};
