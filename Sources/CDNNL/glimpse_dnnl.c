#include "glimpse_dnnl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_library.h"

#if HAVE_DNNL
typedef glimpse_step Step;

struct glimpse_dnnl_network {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  Step *steps;
  int step_count;
  dnnl_memory_t *owned; /* every memory object, destroyed with the network */
  int owned_count;
  void **buffers; /* the activation buffers, reused as values die */
  int buffer_count;
  dnnl_memory_t input, output; /* the caller's NCHW images and [B, H·W, C] grid */
  void *scratchpad;            /* the steps', one after another */
};

static dnnl_memory_t own(glimpse_dnnl_network *n, dnnl_memory_t m) {
  n->owned[n->owned_count++] = m;
  return m;
}

void glimpse_dnnl_destroy(glimpse_dnnl_network *n) {
  if (!n) return;
  for (int i = 0; i < n->step_count; i++) p_dnnl_primitive_destroy(n->steps[i].primitive);
  for (int i = 0; i < n->owned_count; i++) p_dnnl_memory_destroy(n->owned[i]);
  for (int i = 0; i < n->buffer_count; i++) free(n->buffers[i]);
  free(n->scratchpad);
  if (n->stream) p_dnnl_stream_destroy(n->stream);
  if (n->engine) p_dnnl_engine_destroy(n->engine);
  free(n->steps), free(n->owned), free(n->buffers), free(n);
}
#endif

glimpse_dnnl_network *glimpse_dnnl_create(int batch, int channels, int side, const glimpse_dnnl_conv *convs, int count,
                                          char message[GLIMPSE_DNNL_MESSAGE_LENGTH]) {
#if HAVE_DNNL
  if (!glimpse_dnnl_available(message)) return NULL;
  glimpse_dnnl_network *n = calloc(1, sizeof *n);
  if (!n) {
    snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "out of memory building the oneDNN network");
    return NULL;
  }
  /* Per conv at most a reorder of its input, itself and its pool; memories likewise, with its weights. */
  n->steps = calloc(3 * count + 1, sizeof(Step));
  n->owned = calloc(11 * count + 5, sizeof(dnnl_memory_t)); /* with a scratchpad's for each step */
  n->buffers = calloc(count + 2, sizeof(void *));
  dnnl_memory_desc_t *value_md = calloc(count, sizeof(dnnl_memory_desc_t));
  dnnl_memory_t *value = calloc(count, sizeof(dnnl_memory_t));
  int *buffer_of = calloc(count, sizeof(int)), *last_use = calloc(count, sizeof(int));
  int *busy = calloc(count + 2, sizeof(int)), *sides = calloc(count, sizeof(int));
  size_t buffer_bytes = 0;
  dnnl_primitive_desc_t *pds = calloc(count, sizeof(dnnl_primitive_desc_t));
  dnnl_primitive_desc_t *pool_pds = calloc(count, sizeof(dnnl_primitive_desc_t));
  dnnl_memory_desc_t *conv_md = calloc(count, sizeof(dnnl_memory_desc_t)); /* a pooled conv's output */
  if (!n->steps || !n->owned || !n->buffers || !value_md || !value || !buffer_of || !last_use || !busy || !sides ||
      !pds || !pool_pds || !conv_md) {
    snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "out of memory building the oneDNN network");
    goto fail;
  }
  TRY(p_dnnl_engine_create(&n->engine, dnnl_cpu, 0), "engine");
  TRY(p_dnnl_stream_create(&n->stream, n->engine, dnnl_stream_default_flags), "stream");

  /* Each convolution's descriptor, its layouts left to oneDNN (the grid's is NHWC, [B, H·W, C]). */
  for (int i = 0; i < count; i++) {
    const glimpse_dnnl_conv *c = &convs[i];
    int in_side = c->input < 0 ? side : sides[c->input];
    int out_side = (in_side + c->stride - 1) / c->stride;
    sides[i] = c->pool ? out_side / 2 : out_side;
    dnnl_dims_t src_dims = {batch, c->in_channels, in_side, in_side};
    dnnl_dims_t dst_dims = {batch, c->out_channels, out_side, out_side};
    dnnl_dims_t w_dims = {c->groups, c->out_channels / c->groups, c->in_channels / c->groups, c->kernel, c->kernel};
    dnnl_dims_t b_dims = {c->out_channels};
    dnnl_dims_t strides = {c->stride, c->stride}, pad_l = {c->pad_before, c->pad_before};
    dnnl_dims_t pad_r = {c->pad_after, c->pad_after};
    dnnl_memory_desc_t src, dst, w, b;
    TRY(p_dnnl_memory_desc_init_by_tag(&src, 4, src_dims, dnnl_f32, dnnl_format_tag_any), "source layout");
    TRY(p_dnnl_memory_desc_init_by_tag(&w, 5, w_dims, dnnl_f32, dnnl_format_tag_any), "weights layout");
    TRY(p_dnnl_memory_desc_init_by_tag(&b, 1, b_dims, dnnl_f32, dnnl_x), "bias layout");
    if (i == count - 1 && !c->pool) {
      TRY(p_dnnl_memory_desc_init_by_tag(&dst, 4, dst_dims, dnnl_f32, dnnl_nhwc), "grid layout");
    } else if (c->residual >= 0) {
      dst = value_md[c->residual]; /* written in place over the value it adds */
    } else {
      TRY(p_dnnl_memory_desc_init_by_tag(&dst, 4, dst_dims, dnnl_f32, dnnl_format_tag_any), "output layout");
    }
    dnnl_convolution_desc_t desc;
    TRY(p_dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, &src, &w, &b,
                                             &dst, strides, pad_l, pad_r),
        "convolution");
    dnnl_post_ops_t ops;
    dnnl_primitive_attr_t attr;
    TRY(p_dnnl_post_ops_create(&ops), "post-ops");
    if (c->residual >= 0) TRY(p_dnnl_post_ops_append_sum(ops, 1.0f), "residual");
    if (c->relu6) TRY(p_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip, 0.0f, 6.0f), "ReLU6");
    if (c->relu) TRY(p_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f), "ReLU");
    TRY(glimpse_user_scratchpad_attr(&attr), "attributes");
    TRY(p_dnnl_primitive_attr_set_post_ops(attr, ops), "attributes");
    dnnl_status_t made = p_dnnl_primitive_desc_create(&pds[i], &desc, attr, n->engine, NULL);
    p_dnnl_post_ops_destroy(ops);
    p_dnnl_primitive_attr_destroy(attr);
    TRY(made, "convolution primitive");
    value_md[i] = *p_dnnl_primitive_desc_query_md(pds[i], dnnl_query_dst_md, 0);
    size_t bytes = p_dnnl_memory_desc_get_size(&value_md[i]);
    if (c->pool) { /* 2×2, stride 2, in the convolution's layout; the grid's if it is the last */
      conv_md[i] = value_md[i];
      dnnl_dims_t pooled_dims = {batch, c->out_channels, sides[i], sides[i]};
      dnnl_dims_t two = {2, 2}, none = {0, 0};
      dnnl_memory_desc_t pooled;
      dnnl_format_tag_t pooled_tag = i == count - 1 ? dnnl_nhwc : dnnl_format_tag_any;
      TRY(p_dnnl_memory_desc_init_by_tag(&pooled, 4, pooled_dims, dnnl_f32, pooled_tag), "pool layout");
      dnnl_pooling_desc_t pool_desc;
      TRY(p_dnnl_pooling_forward_desc_init(&pool_desc, dnnl_forward_inference, dnnl_pooling_max, &conv_md[i], &pooled,
                                           two, two, none, none),
          "max-pool");
      dnnl_primitive_attr_t pool_attr;
      TRY(glimpse_user_scratchpad_attr(&pool_attr), "attributes");
      made = p_dnnl_primitive_desc_create(&pool_pds[i], &pool_desc, pool_attr, n->engine, NULL);
      p_dnnl_primitive_attr_destroy(pool_attr);
      TRY(made, "max-pool primitive");
      value_md[i] = *p_dnnl_primitive_desc_query_md(pool_pds[i], dnnl_query_dst_md, 0);
    }
    const dnnl_memory_desc_t *src_md = p_dnnl_primitive_desc_query_md(pds[i], dnnl_query_src_md, 0);
    if (p_dnnl_memory_desc_get_size(src_md) > bytes) bytes = p_dnnl_memory_desc_get_size(src_md);
    if (bytes > buffer_bytes) buffer_bytes = bytes;
    last_use[i] = i;
    if (c->input >= 0 && last_use[c->input] < i) last_use[c->input] = i;
    if (c->residual >= 0 && last_use[c->residual] < i) last_use[c->residual] = i;
  }

  dnnl_dims_t image_dims = {batch, channels, side, side};
  dnnl_memory_desc_t image_md;
  TRY(p_dnnl_memory_desc_init_by_tag(&image_md, 4, image_dims, dnnl_f32, dnnl_nchw), "image layout");
  TRY(p_dnnl_memory_create(&n->input, &image_md, n->engine, DNNL_MEMORY_NONE), "image memory");
  own(n, n->input);
  /* A free buffer, or a new one: every buffer holds the largest activation. */
  int scratch_buffer = -1;
#define TAKE_BUFFER(result)                                                          \
  do {                                                                               \
    int found_ = -1;                                                                 \
    for (int k = 0; k < n->buffer_count; k++)                                        \
      if (!busy[k]) { found_ = k; break; }                                           \
    if (found_ < 0) {                                                                \
      found_ = n->buffer_count++;                                                    \
      if (posix_memalign(&n->buffers[found_], 64, buffer_bytes)) {                  \
        snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "out of memory for oneDNN's activations"); \
        goto fail;                                                                   \
      }                                                                              \
    }                                                                                \
    busy[found_] = 1;                                                                \
    (result) = found_;                                                               \
  } while (0)

  for (int i = 0; i < count; i++) {
    const glimpse_dnnl_conv *c = &convs[i];
    dnnl_primitive_desc_t pd = pds[i];
    const dnnl_memory_desc_t *src_md = p_dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *w_md = p_dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *b_md = p_dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    dnnl_memory_t source = c->input < 0 ? n->input : value[c->input];
    const dnnl_memory_desc_t *have = c->input < 0 ? &image_md : &value_md[c->input];
    if (!p_dnnl_memory_desc_equal(src_md, have)) { /* its input in the layout it wants */
      if (scratch_buffer < 0) TAKE_BUFFER(scratch_buffer);
      dnnl_memory_t converted;
      TRY(p_dnnl_memory_create(&converted, src_md, n->engine, n->buffers[scratch_buffer]), "reorder memory");
      own(n, converted);
      dnnl_primitive_desc_t rpd;
      dnnl_primitive_attr_t reorder_attr;
      TRY(glimpse_user_scratchpad_attr(&reorder_attr), "attributes");
      dnnl_status_t made = p_dnnl_reorder_primitive_desc_create(&rpd, have, n->engine, src_md, n->engine, reorder_attr);
      p_dnnl_primitive_attr_destroy(reorder_attr);
      TRY(made, "reorder");
      dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, source}, {DNNL_ARG_TO, converted}};
      made = glimpse_make_step(&n->steps[n->step_count], rpd, 2, args);
      p_dnnl_primitive_desc_destroy(rpd);
      TRY(made, "reorder primitive");
      n->step_count++;
      source = converted;
    }
    /* The weights and bias, from the caller's OIHW, in the layout the convolution wants. */
    dnnl_dims_t w_dims = {c->groups, c->out_channels / c->groups, c->in_channels / c->groups, c->kernel, c->kernel};
    dnnl_memory_desc_t user_w_md;
    TRY(p_dnnl_memory_desc_init_by_tag(&user_w_md, 5, w_dims, dnnl_f32, dnnl_goihw), "weights layout");
    dnnl_memory_t user_w, weights, bias;
    TRY(p_dnnl_memory_create(&user_w, &user_w_md, n->engine, (void *)c->weights), "weights memory");
    TRY(p_dnnl_memory_create(&weights, w_md, n->engine, DNNL_MEMORY_ALLOCATE), "weights memory");
    TRY(p_dnnl_memory_create(&bias, b_md, n->engine, (void *)c->bias), "bias memory");
    own(n, user_w), own(n, weights), own(n, bias);
    dnnl_primitive_desc_t wpd;
    dnnl_primitive_t wreorder;
    TRY(p_dnnl_reorder_primitive_desc_create(&wpd, &user_w_md, n->engine, w_md, n->engine, NULL), "weights reorder");
    TRY(p_dnnl_primitive_create(&wreorder, wpd), "weights reorder");
    dnnl_exec_arg_t wargs[2] = {{DNNL_ARG_FROM, user_w}, {DNNL_ARG_TO, weights}};
    TRY(p_dnnl_primitive_execute(wreorder, n->stream, 2, wargs), "weights reorder");
    TRY(p_dnnl_stream_wait(n->stream), "weights reorder");
    p_dnnl_primitive_destroy(wreorder);
    p_dnnl_primitive_desc_destroy(wpd);
    /* Where it writes: the grid, the value it adds to, or a free buffer (a pool's input first). */
    dnnl_memory_t destination;
    int pool_input = -1;
    if (c->pool) {
      TAKE_BUFFER(pool_input);
      TRY(p_dnnl_memory_create(&destination, &conv_md[i], n->engine, n->buffers[pool_input]), "activation memory");
    } else if (i == count - 1) {
      TRY(p_dnnl_memory_create(&destination, &value_md[i], n->engine, DNNL_MEMORY_NONE), "grid memory");
      n->output = destination;
      buffer_of[i] = -1;
    } else if (c->residual >= 0) {
      destination = value[c->residual];
      buffer_of[i] = buffer_of[c->residual];
      buffer_of[c->residual] = -1;
    } else {
      int k;
      TAKE_BUFFER(k);
      TRY(p_dnnl_memory_create(&destination, &value_md[i], n->engine, n->buffers[k]), "activation memory");
      buffer_of[i] = k;
    }
    if (c->residual < 0) own(n, destination);
    value[i] = destination;
    dnnl_exec_arg_t conv_args[4] = {
        {DNNL_ARG_SRC, source}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, destination}};
    TRY(glimpse_make_step(&n->steps[n->step_count], pd, 4, conv_args), "convolution primitive");
    n->step_count++;
    if (c->pool) {
      dnnl_memory_t pooled;
      if (i == count - 1) {
        TRY(p_dnnl_memory_create(&pooled, &value_md[i], n->engine, DNNL_MEMORY_NONE), "grid memory");
        n->output = pooled;
        buffer_of[i] = -1;
      } else {
        int k;
        TAKE_BUFFER(k);
        TRY(p_dnnl_memory_create(&pooled, &value_md[i], n->engine, n->buffers[k]), "activation memory");
        buffer_of[i] = k;
      }
      own(n, pooled);
      dnnl_exec_arg_t pool_args[2] = {{DNNL_ARG_SRC, destination}, {DNNL_ARG_DST, pooled}};
      TRY(glimpse_make_step(&n->steps[n->step_count], pool_pds[i], 2, pool_args), "max-pool primitive");
      n->step_count++;
      busy[pool_input] = 0;
      value[i] = pooled;
    }
    /* Values read for the last time here give their buffers back. */
    for (int v = 0; v < i; v++)
      if (last_use[v] == i && buffer_of[v] >= 0) busy[buffer_of[v]] = 0, buffer_of[v] = -1;
  }
  TRY(glimpse_give_scratchpad(n->engine, n->steps, n->step_count, &n->scratchpad, n->owned, &n->owned_count),
      "scratchpad");
  for (int i = 0; i < count; i++) {
    p_dnnl_primitive_desc_destroy(pds[i]);
    if (pool_pds[i]) p_dnnl_primitive_desc_destroy(pool_pds[i]);
  }
  free(value_md), free(value), free(buffer_of), free(last_use), free(busy), free(sides), free(pds), free(pool_pds);
  free(conv_md);
  return n;
fail:
  for (int i = 0; i < count; i++) {
    if (pds && pds[i]) p_dnnl_primitive_desc_destroy(pds[i]);
    if (pool_pds && pool_pds[i]) p_dnnl_primitive_desc_destroy(pool_pds[i]);
  }
  free(value_md), free(value), free(buffer_of), free(last_use), free(busy), free(sides), free(pds), free(pool_pds);
  free(conv_md);
  glimpse_dnnl_destroy(n);
  return NULL;
#else
  glimpse_dnnl_available(message);
  return NULL;
#endif
}

int glimpse_dnnl_run(glimpse_dnnl_network *n, const float *images, float *grid,
                     char message[GLIMPSE_DNNL_MESSAGE_LENGTH]) {
#if HAVE_DNNL
  dnnl_status_t status = p_dnnl_memory_set_data_handle(n->input, (void *)images);
  if (status == dnnl_success) status = p_dnnl_memory_set_data_handle(n->output, grid);
  for (int i = 0; status == dnnl_success && i < n->step_count; i++)
    status = p_dnnl_primitive_execute(n->steps[i].primitive, n->stream, n->steps[i].count, n->steps[i].args);
  if (status == dnnl_success) status = p_dnnl_stream_wait(n->stream);
  if (status == dnnl_success) return 0;
  snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "oneDNN: running the network failed (%d)", (int)status);
  return 1;
#else
  glimpse_dnnl_available(message);
  return 1;
#endif
}

#if !HAVE_DNNL
void glimpse_dnnl_destroy(glimpse_dnnl_network *n) { (void)n; }
#endif
