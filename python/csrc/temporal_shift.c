/* vidtemporal._C bindings of temporal shift and its stream. */
#include "vidtemporal_ext.h"

#define LAYOUT "(N*T, C, H, W)"
#define FRAME_LAYOUT "(N, C, H, W)"

typedef int32_t (*shift_f32)(const float *, float *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int32_t,
                             vt_error *);
typedef int32_t (*shift_f64)(const double *, double *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int32_t,
                             vt_error *);

/* temporal_shift(input, output, num_segments, fold_div, mode, adjoint): output = shift(input), or
 * its adjoint (the backward). */
static PyObject *temporal_shift(PyObject *self, PyObject *args) {
    PyObject *input_obj, *output_obj;
    long long num_segments, fold_div;
    int mode, adjoint;
    if (!PyArg_ParseTuple(args, "OOLLip", &input_obj, &output_obj, &num_segments, &fold_div, &mode, &adjoint))
        return NULL;
    const char *fn = adjoint ? "temporal_shift_backward" : "temporal_shift";
    const char *input_name = adjoint ? "grad" : "x";
    Py_buffer input = {0}, output = {0};
    vtx_dtype input_dtype, output_dtype;
    PyObject *result = NULL;
    if (vtx_get_array(input_obj, fn, input_name, 4, LAYOUT, 0, &input, &input_dtype) < 0) goto done;
    if (vtx_get_array(output_obj, fn, "out", 4, LAYOUT, 1, &output, &output_dtype) < 0) goto done;
    if (vtx_check_same(&output, output_dtype, "out", &input, input_dtype, input_name, fn) < 0) goto done;

    const Py_ssize_t *s = input.shape;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    if (input_dtype == VTX_F32) {
        shift_f32 f = adjoint ? vt_temporal_shift_backward_f32 : vt_temporal_shift_forward_f32;
        status = f(input.buf, output.buf, s[0], s[1], s[2], s[3], num_segments, fold_div, mode, &error);
    } else {
        shift_f64 f = adjoint ? vt_temporal_shift_backward_f64 : vt_temporal_shift_forward_f64;
        status = f(input.buf, output.buf, s[0], s[1], s[2], s[3], num_segments, fold_div, mode, &error);
    }
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release(&input);
    vtx_release(&output);
    return result;
}

/* temporal_shift_inplace(x, num_segments, fold_div, mode): x = shift(x) in place. (The in-place
 * backward exists in C; Python's autograd uses the out-of-place one, which keeps grad intact.) */
static PyObject *temporal_shift_inplace(PyObject *self, PyObject *args) {
    PyObject *data_obj;
    long long num_segments, fold_div;
    int mode;
    if (!PyArg_ParseTuple(args, "OLLi", &data_obj, &num_segments, &fold_div, &mode)) return NULL;
    const char *fn = "temporal_shift_";
    Py_buffer data = {0};
    vtx_dtype dtype;
    if (vtx_get_array(data_obj, fn, "x", 4, LAYOUT, 1, &data, &dtype) < 0) return NULL;
    const Py_ssize_t *s = data.shape;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = dtype == VTX_F32
                 ? vt_temporal_shift_inplace_forward_f32(data.buf, s[0], s[1], s[2], s[3], num_segments, fold_div, mode,
                                                         &error)
                 : vt_temporal_shift_inplace_forward_f64(data.buf, s[0], s[1], s[2], s[3], num_segments, fold_div, mode,
                                                         &error);
    Py_END_ALLOW_THREADS
    vtx_release(&data);
    return vtx_result(status, &error);
}

/* ---- streaming: the state lives in a capsule that frees it ---- */

#define STREAM_CAPSULE "vidtemporal.temporal_shift_stream"

static void stream_capsule_free(PyObject *capsule) {
    vt_temporal_shift_stream_free(PyCapsule_GetPointer(capsule, STREAM_CAPSULE));
}

/* temporal_shift_stream_create(frame, fold_div) -> capsule for frames shaped and typed like frame. */
static PyObject *temporal_shift_stream_create(PyObject *self, PyObject *args) {
    PyObject *frame_obj;
    long long fold_div;
    if (!PyArg_ParseTuple(args, "OL", &frame_obj, &fold_div)) return NULL;
    Py_buffer frame;
    vtx_dtype dtype;
    if (vtx_get_array(frame_obj, "TemporalShiftStream.step", "frame", 4, FRAME_LAYOUT, 0, &frame, &dtype) < 0)
        return NULL;
    const Py_ssize_t *s = frame.shape;
    vt_temporal_shift_stream *stream = NULL;
    vt_error error;
    int32_t status = vt_temporal_shift_stream_create(s[0], s[1], s[2], s[3], fold_div,
                                                     dtype == VTX_F32 ? VT_DTYPE_F32 : VT_DTYPE_F64, &stream, &error);
    vtx_release(&frame);
    if (status != VT_OK) return vtx_raise(status, &error);
    PyObject *capsule = PyCapsule_New(stream, STREAM_CAPSULE, stream_capsule_free);
    if (!capsule) vt_temporal_shift_stream_free(stream);
    return capsule;
}

/* temporal_shift_stream_step(stream, frame, out). The library checks frame's dims and dtype
 * against the stream's. */
static PyObject *temporal_shift_stream_step(PyObject *self, PyObject *args) {
    PyObject *capsule, *frame_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "OOO", &capsule, &frame_obj, &out_obj)) return NULL;
    vt_temporal_shift_stream *stream = PyCapsule_GetPointer(capsule, STREAM_CAPSULE);
    if (!stream) return NULL;
    const char *fn = "TemporalShiftStream.step";
    Py_buffer frame = {0}, out = {0};
    vtx_dtype frame_dtype, out_dtype;
    PyObject *result = NULL;
    if (vtx_get_array(frame_obj, fn, "frame", 4, FRAME_LAYOUT, 0, &frame, &frame_dtype) < 0) goto done;
    if (vtx_get_array(out_obj, fn, "out", 4, FRAME_LAYOUT, 1, &out, &out_dtype) < 0) goto done;
    if (vtx_check_same(&out, out_dtype, "out", &frame, frame_dtype, "frame", fn) < 0) goto done;
    const Py_ssize_t *s = frame.shape;
    vt_error error;
    int32_t status;
    Py_BEGIN_ALLOW_THREADS
    status = frame_dtype == VTX_F32
                 ? vt_temporal_shift_stream_step_f32(stream, frame.buf, out.buf, s[0], s[1], s[2], s[3], &error)
                 : vt_temporal_shift_stream_step_f64(stream, frame.buf, out.buf, s[0], s[1], s[2], s[3], &error);
    Py_END_ALLOW_THREADS
    result = vtx_result(status, &error);
done:
    vtx_release(&frame);
    vtx_release(&out);
    return result;
}

static PyObject *temporal_shift_stream_reset(PyObject *self, PyObject *capsule) {
    vt_temporal_shift_stream *stream = PyCapsule_GetPointer(capsule, STREAM_CAPSULE);
    if (!stream) return NULL;
    vt_error error;
    return vtx_result(vt_temporal_shift_stream_reset(stream, &error), &error);
}

PyMethodDef vtx_temporal_shift_methods[] = {
    {"temporal_shift", temporal_shift, METH_VARARGS, "temporal_shift(input, out, num_segments, fold_div, mode, adjoint)"},
    {"temporal_shift_inplace", temporal_shift_inplace, METH_VARARGS,
     "temporal_shift_inplace(x, num_segments, fold_div, mode)"},
    {"temporal_shift_stream_create", temporal_shift_stream_create, METH_VARARGS,
     "temporal_shift_stream_create(frame, fold_div) -> stream"},
    {"temporal_shift_stream_step", temporal_shift_stream_step, METH_VARARGS,
     "temporal_shift_stream_step(stream, frame, out)"},
    {"temporal_shift_stream_reset", temporal_shift_stream_reset, METH_O, "temporal_shift_stream_reset(stream)"},
    {NULL, NULL, 0, NULL},
};
