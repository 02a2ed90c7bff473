#ifndef GLIMPSE_DNNL_LIBRARY_H
#define GLIMPSE_DNNL_LIBRARY_H

/* The oneDNN functions glimpse calls, resolved from libdnnl.so.2 by glimpse_dnnl_available (private to
   this target: its Swift users see glimpse_dnnl.h only). */

#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>
#define HAVE_DNNL 1

#define DNNL_FUNCTIONS(X)                                                                              \
  X(dnnl_engine_create) X(dnnl_engine_destroy) X(dnnl_stream_create) X(dnnl_stream_destroy)            \
  X(dnnl_stream_wait) X(dnnl_memory_desc_init_by_tag) X(dnnl_memory_desc_equal)                        \
  X(dnnl_memory_desc_get_size) X(dnnl_memory_create) X(dnnl_memory_destroy)                            \
  X(dnnl_memory_set_data_handle) X(dnnl_convolution_forward_desc_init) X(dnnl_post_ops_create)         \
  X(dnnl_post_ops_destroy) X(dnnl_post_ops_append_eltwise) X(dnnl_post_ops_append_sum)                 \
  X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy) X(dnnl_primitive_attr_set_post_ops)     \
  X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) X(dnnl_primitive_desc_query_md)         \
  X(dnnl_primitive_create) X(dnnl_primitive_destroy) X(dnnl_primitive_execute)                        \
  X(dnnl_reorder_primitive_desc_create) X(dnnl_pooling_forward_desc_init)                              \
  X(dnnl_pooling_backward_desc_init) X(dnnl_eltwise_backward_desc_init) X(dnnl_eltwise_forward_desc_init) \
  X(dnnl_convolution_backward_data_desc_init) X(dnnl_convolution_backward_weights_desc_init)          \
  X(dnnl_primitive_attr_set_scratchpad_mode)

#define DNNL_DECLARE(name) extern __attribute__((visibility("hidden"))) __typeof__(&name) p_##name;
DNNL_FUNCTIONS(DNNL_DECLARE)
#undef DNNL_DECLARE
/* libgomp's, where oneDNN runs on it; NULL otherwise. */
extern __attribute__((visibility("hidden"))) int (*p_omp_get_max_threads)(void);
extern __attribute__((visibility("hidden"))) void (*p_omp_set_num_threads)(int);

/* A primitive and its arguments; `scratchpad` is its scratchpad's layout (of zero bytes: none), whose
   memory glimpse_give_scratchpad adds to the arguments. */
typedef struct {
  dnnl_primitive_t primitive;
  int count;
  dnnl_exec_arg_t args[7];
  dnnl_memory_desc_t scratchpad;
} glimpse_step;

/* Attributes that leave the scratchpad to the caller. oneDNN's own is kept per thread, and a
   primitive run on another thread than the one that made it crashes (its documentation says so);
   glimpse runs a network on whichever thread serves a request or a core's share of a batch. */
__attribute__((visibility("hidden"))) dnnl_status_t glimpse_user_scratchpad_attr(dnnl_primitive_attr_t *attr);

/* The primitive of `pd` with its arguments, and its scratchpad's layout, into `step`. */
__attribute__((visibility("hidden"))) dnnl_status_t glimpse_make_step(glimpse_step *step,
                                                                      const_dnnl_primitive_desc_t pd, int count,
                                                                      const dnnl_exec_arg_t *args);

/* One buffer, 64-byte aligned, as large as the largest step's scratchpad, for every step that needs
   one: a network's steps run one after another. Its memories go to `owned`; the caller frees it. */
__attribute__((visibility("hidden"))) dnnl_status_t glimpse_give_scratchpad(dnnl_engine_t engine, glimpse_step *steps,
                                                                            int count, void **buffer,
                                                                            dnnl_memory_t *owned, int *owned_count);

/* Runs a oneDNN call; on failure, writes what failed to `message` and jumps to `fail`. */
#define TRY(call, what)                                                                             \
  do {                                                                                              \
    dnnl_status_t status_ = (call);                                                                 \
    if (status_ != dnnl_success) {                                                                  \
      snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "oneDNN: %s failed (%d)", what, (int)status_); \
      goto fail;                                                                                    \
    }                                                                                               \
  } while (0)
#else
#define HAVE_DNNL 0
#endif

#endif
