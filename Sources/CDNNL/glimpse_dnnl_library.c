#include "glimpse_dnnl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_library.h"

#if HAVE_DNNL
/* oneDNN is loaded with dlopen, only when a network is built: a command that never runs an encoder
   through oneDNN does not pay for loading it, and glimpse runs (on its own kernels) where it is missing. */
#define DEFINE(name) __typeof__(&name) p_##name;
DNNL_FUNCTIONS(DEFINE)
int (*p_omp_get_max_threads)(void);
void (*p_omp_set_num_threads)(int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[GLIMPSE_DNNL_MESSAGE_LENGTH];
static int loaded;

static void load(void) {
  /* oneDNN's OpenMP threads spin after each primitive before they sleep, by default for long
     enough to compete with the decoder's steps that follow the encoder (the SpinningWorker and the
     caller's thread). libgomp reads this when dlopen loads it with oneDNN; a value set by the user
     is kept. */
  setenv("GOMP_SPINCOUNT", "10000", 0);
  void *library = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    snprintf(load_error, sizeof load_error, "cannot load oneDNN (libdnnl.so.2): %s", dlerror());
    return;
  }
#define RESOLVE(name)                                                                  \
  if (!(p_##name = (__typeof__(&name))dlsym(library, #name))) {                        \
    snprintf(load_error, sizeof load_error, "libdnnl.so.2 lacks %s", #name);            \
    return;                                                                            \
  }
  DNNL_FUNCTIONS(RESOLVE)
  /* The OpenMP runtime oneDNN was built with (Debian's: libgomp), for a training network that runs on
     one thread, the caller's; absent, such networks are not made. */
  void *openmp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (openmp) {
    p_omp_get_max_threads = (int (*)(void))dlsym(openmp, "omp_get_max_threads");
    p_omp_set_num_threads = (void (*)(int))dlsym(openmp, "omp_set_num_threads");
  }
  loaded = 1;
}
#endif

int glimpse_dnnl_available(char message[GLIMPSE_DNNL_MESSAGE_LENGTH]) {
#if HAVE_DNNL
  pthread_once(&once, load);
  if (loaded) return 1;
  memcpy(message, load_error, GLIMPSE_DNNL_MESSAGE_LENGTH);
#else
  snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "glimpse was built without oneDNN's headers (libdnnl-dev)");
#endif
  return 0;
}

#if HAVE_DNNL
dnnl_status_t glimpse_user_scratchpad_attr(dnnl_primitive_attr_t *attr) {
  dnnl_status_t status = p_dnnl_primitive_attr_create(attr);
  if (status == dnnl_success) status = p_dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user);
  if (status != dnnl_success && *attr) p_dnnl_primitive_attr_destroy(*attr), *attr = NULL;
  return status;
}

dnnl_status_t glimpse_make_step(glimpse_step *step, const_dnnl_primitive_desc_t pd, int count,
                                const dnnl_exec_arg_t *args) {
  dnnl_status_t status = p_dnnl_primitive_create(&step->primitive, pd);
  if (status != dnnl_success) return status;
  step->count = count;
  memcpy(step->args, args, count * sizeof *args);
  step->scratchpad = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  return dnnl_success;
}

dnnl_status_t glimpse_give_scratchpad(dnnl_engine_t engine, glimpse_step *steps, int count, void **buffer,
                                      dnnl_memory_t *owned, int *owned_count) {
  size_t bytes = 0;
  for (int i = 0; i < count; i++) {
    size_t size = p_dnnl_memory_desc_get_size(&steps[i].scratchpad);
    if (size > bytes) bytes = size;
  }
  *buffer = NULL;
  if (bytes == 0) return dnnl_success;
  if (posix_memalign(buffer, 64, bytes)) return *buffer = NULL, dnnl_out_of_memory;
  for (int i = 0; i < count; i++) {
    if (p_dnnl_memory_desc_get_size(&steps[i].scratchpad) == 0) continue;
    dnnl_memory_t memory;
    dnnl_status_t status = p_dnnl_memory_create(&memory, &steps[i].scratchpad, engine, *buffer);
    if (status != dnnl_success) return status;
    owned[(*owned_count)++] = memory;
    steps[i].args[steps[i].count++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, memory};
  }
  return dnnl_success;
}
#endif
