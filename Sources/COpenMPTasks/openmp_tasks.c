#include "openmp_tasks.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef void (*gomp_parallel_function)(void (*)(void *), void *, unsigned, unsigned);

// Resolved once: 1 usable, -1 not; 0 not yet looked up.
static atomic_int state;
static gomp_parallel_function gomp_parallel;
// GNU OpenMP's threads do not survive fork: a forked child never uses them.
static atomic_int forked;

static void in_child(void) { atomic_store(&forked, 1); }

__attribute__((constructor)) static void register_fork_handler(void) { pthread_atfork(NULL, NULL, in_child); }

static int resolve(void) {
    int current = atomic_load_explicit(&state, memory_order_acquire);
    if (current != 0) return current;
    int found = -1;
    const char *choice = getenv("VT_THREADING");
    if (!(choice && strcmp(choice, "dispatch") == 0)) {
        // Only a runtime already in the process (RTLD_NOLOAD): never load one ourselves.
        void *library = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
        if (library) {
            gomp_parallel = (gomp_parallel_function)dlsym(library, "GOMP_parallel");
            if (gomp_parallel) found = 1;
        }
    }
    atomic_store_explicit(&state, found, memory_order_release);
    return found;
}

typedef struct {
    long tasks;
    void *context;
    vts_task_function fn;
    atomic_long next;
} job;

// Every team thread claims tasks until none is left, so a smaller team (nested parallelism)
// still runs them all.
static void run_tasks(void *argument) {
    job *j = argument;
    for (long task; (task = atomic_fetch_add(&j->next, 1)) < j->tasks;) j->fn(j->context, task);
}

int vts_run_on_openmp(long tasks, long threads, void *context, vts_task_function fn) {
    if (atomic_load(&forked) || resolve() != 1) return 0;
    job j = {tasks, context, fn, 0};
    long team = threads < tasks ? threads : tasks;
    gomp_parallel(run_tasks, &j, (unsigned)(team > 0 ? team : 1), 0);
    return 1;
}
