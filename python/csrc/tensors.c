/* Tensor and scalar arguments of vidtemporal._C: any object that exports DLPack becomes the
 * DLTensor the library reads, with no copy. A type that publishes DLPack's C exchange API
 * (__dlpack_c_exchange_api__, e.g. torch.Tensor) is read through it, without a Python call;
 * anything else through __dlpack__, asking for a versioned capsule (which carries the read-only
 * flag, and which numpy gives for read-only arrays too) and falling back to the legacy one. */
#include "vidtemporal_ext.h"

#include <string.h>

/* DLPack 1.2's exchange API table (the published ABI; only the fields read here are typed). */
typedef struct vtx_exchange_header {
    vtx_dlpack_version version;
    struct vtx_exchange_header *prev_api;
} vtx_exchange_header;

typedef struct {
    vtx_exchange_header header;
    void *managed_tensor_allocator;
    int (*managed_tensor_from_py_object_no_sync)(void *py_object, vtx_managed_tensor_versioned **out);
    void *managed_tensor_to_py_object_no_sync;
    void *dltensor_from_py_object_no_sync;
    void *current_work_stream;
} vtx_exchange_api;

/* What one producer type offers: its exchange API (or NULL), and whether its __dlpack__ refuses
 * max_version (producers that predate DLPack 1.0: torch before 2.9, numpy before 2.1), so that
 * it is asked the legacy way from the second call on. A few types at most are ever seen
 * (ndarray, Tensor, Parameter); the cache holds a reference to each. */
typedef struct {
    PyTypeObject *type;
    const vtx_exchange_api *api;
    int legacy;
} producer;

#define CACHE_SIZE 8
static producer cache[CACHE_SIZE];

static producer *producer_of(PyTypeObject *type, producer *uncached) {
    int i = 0;
    for (; i < CACHE_SIZE && cache[i].type; i++)
        if (cache[i].type == type) return &cache[i];
    const vtx_exchange_api *api = NULL;
    PyObject *capsule = PyObject_GetAttrString((PyObject *)type, "__dlpack_c_exchange_api__");
    if (capsule && PyCapsule_IsValid(capsule, "dlpack_exchange_api")) {
        api = PyCapsule_GetPointer(capsule, "dlpack_exchange_api");
        if (api && (api->header.version.major != 1 || !api->managed_tensor_from_py_object_no_sync)) api = NULL;
    }
    Py_XDECREF(capsule);
    PyErr_Clear();
    producer *entry = i < CACHE_SIZE ? &cache[i] : uncached;
    if (entry != uncached) Py_INCREF(type);
    *entry = (producer){type, api, 0};
    return entry;
}

/* obj.__dlpack__(max_version=(1, 0)), or obj.__dlpack__() for producers that predate it. (Through
 * PyObject_Call: the limited API has no vectorcall of methods before 3.12.) */
static PyObject *dlpack_capsule(PyObject *obj, producer *from) {
    static PyObject *no_args, *max_version;
    if (!no_args) {
        no_args = PyTuple_New(0);
        max_version = Py_BuildValue("{s(ii)}", "max_version", 1, 0);
        if (!no_args || !max_version) return NULL;
    }
    PyObject *method = PyObject_GetAttrString(obj, "__dlpack__");
    if (!method) return NULL;
    PyObject *capsule = from->legacy ? NULL : PyObject_Call(method, no_args, max_version);
    if (!capsule && (from->legacy || PyErr_ExceptionMatches(PyExc_TypeError))) {
        int refused = !from->legacy;
        PyErr_Clear();
        capsule = PyObject_Call(method, no_args, NULL);
        if (capsule && refused) from->legacy = 1;  /* it refused max_version, not the array */
    }
    Py_DECREF(method);
    return capsule;
}

/* type(obj).__name__ (the limited API has no tp_name): a new reference, never NULL unless out
 * of memory. */
static PyObject *type_name(PyObject *obj) {
    PyObject *name = PyObject_GetAttrString((PyObject *)Py_TYPE(obj), "__name__");
    if (!name || !PyUnicode_Check(name)) {
        Py_XDECREF(name);
        PyErr_Clear();
        name = PyUnicode_FromString("?");
    }
    return name;
}

/* Raises TypeError "fn: name must be <what>, got <type of obj>". */
void vtx_type_error(const char *fn, const char *name, const char *what, PyObject *obj) {
    PyObject *type = type_name(obj);
    if (type) vtx_raise(PyExc_TypeError, fn, name, "%s must be %s, got %.80U", name, what, type);
    Py_XDECREF(type);
}

/* Re-raises the current exception as `type` with "fn: name <what> (<the exception>)". */
static void reraise(PyObject *type, const char *fn, const char *name, const char *what) {
    PyObject *kind, *value, *traceback;
    PyErr_Fetch(&kind, &value, &traceback);
    vtx_raise(type, fn, name, "%s %s (%S)", name, what, value ? value : Py_None);
    Py_XDECREF(kind), Py_XDECREF(value), Py_XDECREF(traceback);
}

static int get_tensor(PyObject *obj, const char *fn, const vtx_spec *spec, vtx_tensor *out) {
    uint64_t flags = 0;
    if (obj == Py_None) {
        if (spec->optional) return 0;
        vtx_raise(PyExc_TypeError, fn, spec->name, "%s must be an array (numpy.ndarray, torch.Tensor or any DLPack "
                  "exporter), got None", spec->name);
        return -1;
    }
    producer uncached;
    producer *from = producer_of(Py_TYPE(obj), &uncached);
    const vtx_exchange_api *api = from->api;
    if (api) {
        if (api->managed_tensor_from_py_object_no_sync(obj, &out->managed) != 0 || !out->managed) {
            reraise(PyExc_TypeError, fn, spec->name, "cannot be read as a DLPack tensor");
            return -1;
        }
        out->dl = &out->managed->dl_tensor;
        flags = out->managed->flags;
    } else {
        out->capsule = dlpack_capsule(obj, from);
        if (!out->capsule) {
            if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
                PyErr_Clear();
                vtx_type_error(fn, spec->name, "an array (numpy.ndarray, torch.Tensor or any DLPack exporter)", obj);
            } else {
                reraise(PyExc_TypeError, fn, spec->name, "cannot be exported through DLPack");
            }
            return -1;
        }
        if (PyCapsule_IsValid(out->capsule, "dltensor_versioned")) {
            vtx_managed_tensor_versioned *managed = PyCapsule_GetPointer(out->capsule, "dltensor_versioned");
            if (managed->version.major != 1) {
                vtx_raise(PyExc_TypeError, fn, spec->name, "%s is a DLPack %u.%u tensor; this build reads DLPack 1.x",
                          spec->name, managed->version.major, managed->version.minor);
                return -1;
            }
            out->dl = &managed->dl_tensor;
            flags = managed->flags;
        } else if (PyCapsule_IsValid(out->capsule, "dltensor")) {
            out->dl = &((DLManagedTensor *)PyCapsule_GetPointer(out->capsule, "dltensor"))->dl_tensor;
        } else {
            vtx_raise(PyExc_TypeError, fn, spec->name, "%s.__dlpack__() did not return a DLPack capsule", spec->name);
            return -1;
        }
    }
    if (spec->writable && (flags & VTX_DLPACK_FLAG_READ_ONLY)) {
        vtx_raise(PyExc_ValueError, fn, spec->name, "%s must be a writable array (it is read-only)", spec->name);
        return -1;
    }
    return 0;
}

int vtx_get_tensors(PyObject *const *objects, const char *fn, const vtx_spec *specs, int count, vtx_tensor *tensors) {
    memset(tensors, 0, sizeof *tensors * (size_t)count);
    for (int i = 0; i < count; i++)
        if (get_tensor(objects[i], fn, &specs[i], &tensors[i]) < 0) {
            vtx_release_tensors(tensors, count);
            return -1;
        }
    return 0;
}

void vtx_release_tensors(vtx_tensor *tensors, int count) {
    for (int i = 0; i < count; i++) {
        if (tensors[i].managed && tensors[i].managed->deleter) tensors[i].managed->deleter(tensors[i].managed);
        Py_CLEAR(tensors[i].capsule);
        tensors[i].managed = NULL;
        tensors[i].dl = NULL;
    }
}

/* ---- scalars ---- */

static int integer(PyObject *object, const char *fn, const char *name, long long lo, long long hi, long long *out) {
    if (!PyLong_Check(object)) {
        vtx_type_error(fn, name, "an int", object);
        return -1;
    }
    int overflow = 0;
    long long value = PyLong_AsLongLongAndOverflow(object, &overflow);
    if (value == -1 && PyErr_Occurred()) return -1;
    if (overflow || value < lo || value > hi) {
        vtx_raise(PyExc_ValueError, fn, name, "%s=%S is out of range [%lld, %lld]", name, object, lo, hi);
        return -1;
    }
    *out = value;
    return 0;
}

int vtx_int64(PyObject *object, const char *fn, const char *name, int64_t *out) {
    long long value;
    if (integer(object, fn, name, INT64_MIN, INT64_MAX, &value) < 0) return -1;
    *out = value;
    return 0;
}

int vtx_int32(PyObject *object, const char *fn, const char *name, int32_t *out) {
    long long value;
    if (integer(object, fn, name, INT32_MIN, INT32_MAX, &value) < 0) return -1;
    *out = (int32_t)value;
    return 0;
}

int vtx_flag(PyObject *object, const char *fn, const char *name, int32_t *out) {
    if (!PyBool_Check(object)) {
        vtx_type_error(fn, name, "a bool", object);
        return -1;
    }
    *out = object == Py_True;
    return 0;
}

int vtx_double(PyObject *object, const char *fn, const char *name, double *out) {
    if (!PyFloat_Check(object) && !PyLong_Check(object)) {
        vtx_type_error(fn, name, "a float", object);
        return -1;
    }
    *out = PyFloat_AsDouble(object);
    if (*out == -1.0 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {   /* an int beyond a double's range */
            PyErr_Clear();
            vtx_raise(PyExc_ValueError, fn, name, "%s is an int too large for a float", name);
        }
        return -1;
    }
    return 0;
}

int vtx_arity(const char *fn, Py_ssize_t nargs, Py_ssize_t expected) {
    if (nargs == expected) return 0;
    vtx_raise(PyExc_TypeError, fn, "", "takes %zd arguments (%zd given)", expected, nargs);
    return -1;
}
