#include "glimpse_dnnl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_library.h"

#if HAVE_DNNL
/* Every value in the layout oneDNN picks for the CPU; where two primitives want one value in
   different layouts, a reorder between them. The ReLU's backward reads the ReLU's output, as
   PyTorch's does (the gradient passes where the output is above zero); for a pooled layer it reads
   the pooled output, which is zero exactly where the chosen element's ReLU output is, so that the
   mask runs over a quarter of the elements. */
typedef glimpse_step Step;

enum { MAX_LAYERS = 16, STEPS_PER_LAYER = 12, MEMORIES_PER_LAYER = 24 };

struct glimpse_dnnl_trainer {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  Step forward[MAX_LAYERS * STEPS_PER_LAYER], backward[MAX_LAYERS * STEPS_PER_LAYER];
  int forward_count, backward_count, count;
  dnnl_memory_t owned[MAX_LAYERS * (MEMORIES_PER_LAYER + 2 * STEPS_PER_LAYER) + 8]; /* with the scratchpads' */
  int owned_count;
  void *scratchpads[2]; /* the forward steps', the backward steps' */
  /* The caller's buffers, pointed at on every call. */
  dnnl_memory_t images, grid, dgrid;
  dnnl_memory_t weights[MAX_LAYERS], biases[MAX_LAYERS], dweights[MAX_LAYERS], dbiases[MAX_LAYERS];
};

void glimpse_dnnl_trainer_destroy(glimpse_dnnl_trainer *t) {
  if (!t) return;
  for (int i = 0; i < t->forward_count; i++) p_dnnl_primitive_destroy(t->forward[i].primitive);
  for (int i = 0; i < t->backward_count; i++) p_dnnl_primitive_destroy(t->backward[i].primitive);
  for (int i = 0; i < t->owned_count; i++) p_dnnl_memory_destroy(t->owned[i]);
  free(t->scratchpads[0]), free(t->scratchpads[1]);
  if (t->stream) p_dnnl_stream_destroy(t->stream);
  if (t->engine) p_dnnl_engine_destroy(t->engine);
  free(t);
}

/* A memory in `md`: the caller's (handle set on each call) if `user`, else allocated here. */
static dnnl_status_t make_memory(glimpse_dnnl_trainer *t, const dnnl_memory_desc_t *md, int user, dnnl_memory_t *m) {
  dnnl_status_t status = p_dnnl_memory_create(m, md, t->engine, user ? DNNL_MEMORY_NONE : DNNL_MEMORY_ALLOCATE);
  if (status == dnnl_success) t->owned[t->owned_count++] = *m;
  return status;
}

static dnnl_status_t add_step(Step *steps, int *count, const_dnnl_primitive_desc_t pd, int args,
                              const dnnl_exec_arg_t *list) {
  dnnl_status_t status = glimpse_make_step(&steps[*count], pd, args, list);
  if (status == dnnl_success) ++*count;
  return status;
}

static dnnl_status_t add_reorder(glimpse_dnnl_trainer *t, Step *steps, int *count, dnnl_memory_t from,
                                 const dnnl_memory_desc_t *from_md, dnnl_memory_t to, const dnnl_memory_desc_t *to_md) {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_attr_t attr;
  dnnl_status_t status = glimpse_user_scratchpad_attr(&attr);
  if (status != dnnl_success) return status;
  status = p_dnnl_reorder_primitive_desc_create(&pd, from_md, t->engine, to_md, t->engine, attr);
  p_dnnl_primitive_attr_destroy(attr);
  if (status != dnnl_success) return status;
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  status = add_step(steps, count, pd, 2, args);
  p_dnnl_primitive_desc_destroy(pd);
  return status;
}

/* `value` (in `have`) as a primitive reading it in `want` needs it: itself, or a copy reordered by a
   step added to `steps`. */
static dnnl_status_t as_read(glimpse_dnnl_trainer *t, Step *steps, int *count, dnnl_memory_t value,
                             const dnnl_memory_desc_t *have, const dnnl_memory_desc_t *want, dnnl_memory_t *read) {
  if (p_dnnl_memory_desc_equal(have, want)) return *read = value, dnnl_success;
  dnnl_status_t status = make_memory(t, want, 0, read);
  return status == dnnl_success ? add_reorder(t, steps, count, value, have, *read, want) : status;
}

static const dnnl_memory_desc_t *query(const_dnnl_primitive_desc_t pd, dnnl_query_t what, int index) {
  return p_dnnl_primitive_desc_query_md(pd, what, index);
}

/* What a layer's backward pass reads, kept while the network is made. */
typedef struct {
  dnnl_memory_t src, conv, value, workspace, data_weights;
  dnnl_memory_desc_t src_md, conv_md, value_md, workspace_md, user_w_md, bias_md;
  dnnl_primitive_desc_t data, weights, pool, relu; /* the backward primitives' */
  int pooled;
} Layer;

static void release(Layer *layers, int count) {
  for (int i = 0; i < count; i++) {
    dnnl_primitive_desc_t pds[4] = {layers[i].data, layers[i].weights, layers[i].pool, layers[i].relu};
    for (int j = 0; j < 4; j++)
      if (pds[j]) p_dnnl_primitive_desc_destroy(pds[j]);
  }
}

/* A convolution with bias and ReLU, reading `input`, and its pool: the forward steps, and the
   backward primitives' descriptors (made with the forward's as hints). 0, or 1 and why. */
static int make_layer(glimpse_dnnl_trainer *t, Layer *l, const glimpse_dnnl_conv *c, int index, int batch, int side,
                      dnnl_memory_t input, const dnnl_memory_desc_t *input_md,
                      char message[GLIMPSE_DNNL_MESSAGE_LENGTH]) {
  dnnl_primitive_desc_t forward = NULL, pool = NULL, relu_hint = NULL;
  dnnl_post_ops_t ops = NULL;
  dnnl_primitive_attr_t attr = NULL, plain = NULL; /* with the ReLU; without */
  int k = c->kernel, pooled_side = c->pool ? side / 2 : side, failed = 1;
  l->pooled = c->pool;
  dnnl_dims_t in_dims = {batch, c->in_channels, side, side}, out_dims = {batch, c->out_channels, side, side};
  dnnl_dims_t pooled_dims = {batch, c->out_channels, pooled_side, pooled_side};
  dnnl_dims_t w_dims = {c->out_channels, c->in_channels, k, k}, b_dims = {c->out_channels};
  dnnl_dims_t ones = {1, 1}, pad_l = {c->pad_before, c->pad_before}, pad_r = {c->pad_after, c->pad_after};
  dnnl_dims_t two = {2, 2}, none = {0, 0};
  dnnl_memory_desc_t any_src, any_w, any_dst, any_pooled;
  TRY(p_dnnl_memory_desc_init_by_tag(&any_src, 4, in_dims, dnnl_f32, dnnl_format_tag_any), "source layout");
  TRY(p_dnnl_memory_desc_init_by_tag(&any_w, 4, w_dims, dnnl_f32, dnnl_format_tag_any), "weights layout");
  TRY(p_dnnl_memory_desc_init_by_tag(&l->user_w_md, 4, w_dims, dnnl_f32, dnnl_oihw), "weights layout");
  TRY(p_dnnl_memory_desc_init_by_tag(&l->bias_md, 1, b_dims, dnnl_f32, dnnl_x), "bias layout");
  TRY(p_dnnl_memory_desc_init_by_tag(&any_dst, 4, out_dims, dnnl_f32, dnnl_format_tag_any), "output layout");
  TRY(p_dnnl_memory_desc_init_by_tag(&any_pooled, 4, pooled_dims, dnnl_f32, dnnl_format_tag_any), "pool layout");

  dnnl_convolution_desc_t fd, dd, wd;
  dnnl_alg_kind_t algorithm = c->direct ? dnnl_convolution_direct : dnnl_convolution_auto;
  TRY(p_dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, algorithm, &any_src, &any_w,
                                           &l->bias_md, &any_dst, ones, pad_l, pad_r),
      "convolution");
  TRY(p_dnnl_post_ops_create(&ops), "post-ops");
  TRY(p_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f), "ReLU");
  TRY(glimpse_user_scratchpad_attr(&plain), "attributes");
  TRY(glimpse_user_scratchpad_attr(&attr), "attributes");
  TRY(p_dnnl_primitive_attr_set_post_ops(attr, ops), "attributes");
  TRY(p_dnnl_primitive_desc_create(&forward, &fd, attr, t->engine, NULL), "convolution primitive");
  l->src_md = *query(forward, dnnl_query_src_md, 0);
  l->conv_md = *query(forward, dnnl_query_dst_md, 0);
  if (index > 0) {
    TRY(p_dnnl_convolution_backward_data_desc_init(&dd, algorithm, &any_src, &any_w, &l->conv_md, ones,
                                                   pad_l, pad_r),
        "convolution backward data");
    TRY(p_dnnl_primitive_desc_create(&l->data, &dd, plain, t->engine, forward), "backward data primitive");
  }
  TRY(p_dnnl_convolution_backward_weights_desc_init(&wd, algorithm, &any_src, &any_w, &l->bias_md,
                                                    &l->conv_md, ones, pad_l, pad_r),
      "convolution backward weights");
  TRY(p_dnnl_primitive_desc_create(&l->weights, &wd, plain, t->engine, forward), "backward weights primitive");
  l->value_md = l->conv_md;
  if (c->pool) {
    dnnl_pooling_desc_t pfd, pbd;
    TRY(p_dnnl_pooling_forward_desc_init(&pfd, dnnl_forward_training, dnnl_pooling_max, &l->conv_md, &any_pooled, two,
                                         two, none, none),
        "max-pool");
    TRY(p_dnnl_primitive_desc_create(&pool, &pfd, plain, t->engine, NULL), "max-pool primitive");
    l->value_md = *query(pool, dnnl_query_dst_md, 0);
    l->workspace_md = *query(pool, dnnl_query_workspace_md, 0);
    TRY(p_dnnl_pooling_backward_desc_init(&pbd, dnnl_pooling_max, &l->conv_md, &l->value_md, two, two, none, none),
        "max-pool backward");
    TRY(p_dnnl_primitive_desc_create(&l->pool, &pbd, plain, t->engine, pool), "max-pool backward primitive");
  }
  dnnl_eltwise_desc_t rfd, rbd;
  TRY(p_dnnl_eltwise_forward_desc_init(&rfd, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, &l->value_md,
                                       0.0f, 0.0f),
      "ReLU");
  TRY(p_dnnl_primitive_desc_create(&relu_hint, &rfd, plain, t->engine, NULL), "ReLU primitive");
  TRY(p_dnnl_eltwise_backward_desc_init(&rbd, dnnl_eltwise_relu_use_dst_for_bwd, &l->value_md, &l->value_md, 0.0f,
                                        0.0f),
      "ReLU backward");
  TRY(p_dnnl_primitive_desc_create(&l->relu, &rbd, plain, t->engine, relu_hint), "ReLU backward primitive");

  /* The input in the convolution's layout, the weights from the caller's (for the backward data
     pass too, while the caller's are read), the convolution, the pool. */
  dnnl_memory_t w;
  Step *steps = t->forward;
  int *count = &t->forward_count;
  TRY(as_read(t, steps, count, input, input_md, &l->src_md, &l->src), "source reorder");
  TRY(make_memory(t, &l->user_w_md, 1, &t->weights[index]), "weights memory");
  TRY(make_memory(t, &l->bias_md, 1, &t->biases[index]), "bias memory");
  TRY(as_read(t, steps, count, t->weights[index], &l->user_w_md, query(forward, dnnl_query_weights_md, 0), &w),
      "weights reorder");
  if (l->data)
    TRY(as_read(t, steps, count, t->weights[index], &l->user_w_md, query(l->data, dnnl_query_weights_md, 0),
                &l->data_weights),
        "weights reorder");
  TRY(make_memory(t, &l->conv_md, 0, &l->conv), "activation memory");
  dnnl_exec_arg_t conv_args[4] = {
      {DNNL_ARG_SRC, l->src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, t->biases[index]}, {DNNL_ARG_DST, l->conv}};
  TRY(add_step(steps, count, forward, 4, conv_args), "convolution primitive");
  l->value = l->conv;
  if (c->pool) {
    TRY(make_memory(t, &l->value_md, 0, &l->value), "activation memory");
    TRY(make_memory(t, &l->workspace_md, 0, &l->workspace), "workspace memory");
    dnnl_exec_arg_t pool_args[3] = {
        {DNNL_ARG_SRC, l->conv}, {DNNL_ARG_DST, l->value}, {DNNL_ARG_WORKSPACE, l->workspace}};
    TRY(add_step(steps, count, pool, 3, pool_args), "max-pool primitive");
  }
  failed = 0;
fail:
  if (ops) p_dnnl_post_ops_destroy(ops);
  if (attr) p_dnnl_primitive_attr_destroy(attr);
  if (plain) p_dnnl_primitive_attr_destroy(plain);
  if (forward) p_dnnl_primitive_desc_destroy(forward);
  if (pool) p_dnnl_primitive_desc_destroy(pool);
  if (relu_hint) p_dnnl_primitive_desc_destroy(relu_hint);
  return failed;
}

/* Layer `index`'s backward steps from its value's gradient `dvalue`: the ReLU's mask, the pool's
   backward, the weight and bias gradients into the caller's buffers, and the gradient of the
   layer before's value, returned in `dinput` (NULL for the first layer). 0, or 1 and why. */
static int make_layer_backward(glimpse_dnnl_trainer *t, Layer *layers, int index, dnnl_memory_t dvalue,
                               dnnl_memory_t *dinput, char message[GLIMPSE_DNNL_MESSAGE_LENGTH]) {
  Layer *l = &layers[index];
  Step *steps = t->backward;
  int *count = &t->backward_count;
  dnnl_exec_arg_t relu_args[3] = {{DNNL_ARG_DST, l->value}, {DNNL_ARG_DIFF_DST, dvalue}, {DNNL_ARG_DIFF_SRC, dvalue}};
  TRY(add_step(steps, count, l->relu, 3, relu_args), "ReLU backward primitive");
  dnnl_memory_t dconv = dvalue;
  const dnnl_memory_desc_t *dconv_md = &l->value_md;
  if (l->pooled) {
    dnnl_memory_t dpooled;
    dconv_md = query(l->pool, dnnl_query_diff_src_md, 0);
    TRY(as_read(t, steps, count, dvalue, &l->value_md, query(l->pool, dnnl_query_diff_dst_md, 0), &dpooled),
        "gradient reorder");
    TRY(make_memory(t, dconv_md, 0, &dconv), "gradient memory");
    dnnl_exec_arg_t pool_args[3] = {
        {DNNL_ARG_DIFF_DST, dpooled}, {DNNL_ARG_WORKSPACE, l->workspace}, {DNNL_ARG_DIFF_SRC, dconv}};
    TRY(add_step(steps, count, l->pool, 3, pool_args), "max-pool backward primitive");
  }
  /* The weight and bias gradients, written straight to the caller's where the layouts allow. */
  dnnl_memory_t src, dout, dweights, dbias;
  const dnnl_memory_desc_t *dweights_md = query(l->weights, dnnl_query_diff_weights_md, 0);
  const dnnl_memory_desc_t *dbias_md = query(l->weights, dnnl_query_diff_weights_md, 1);
  TRY(as_read(t, steps, count, l->src, &l->src_md, query(l->weights, dnnl_query_src_md, 0), &src), "source reorder");
  TRY(as_read(t, steps, count, dconv, dconv_md, query(l->weights, dnnl_query_diff_dst_md, 0), &dout),
      "gradient reorder");
  TRY(make_memory(t, &l->user_w_md, 1, &t->dweights[index]), "gradient memory");
  TRY(make_memory(t, &l->bias_md, 1, &t->dbiases[index]), "gradient memory");
  int weights_direct = p_dnnl_memory_desc_equal(dweights_md, &l->user_w_md);
  int bias_direct = p_dnnl_memory_desc_equal(dbias_md, &l->bias_md);
  if (weights_direct) dweights = t->dweights[index];
  else TRY(make_memory(t, dweights_md, 0, &dweights), "gradient memory");
  if (bias_direct) dbias = t->dbiases[index];
  else TRY(make_memory(t, dbias_md, 0, &dbias), "gradient memory");
  dnnl_exec_arg_t weights_args[4] = {
      {DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, dout}, {DNNL_ARG_DIFF_WEIGHTS, dweights}, {DNNL_ARG_DIFF_BIAS, dbias}};
  TRY(add_step(steps, count, l->weights, 4, weights_args), "backward weights primitive");
  if (!weights_direct)
    TRY(add_reorder(t, steps, count, dweights, dweights_md, t->dweights[index], &l->user_w_md), "gradient reorder");
  if (!bias_direct)
    TRY(add_reorder(t, steps, count, dbias, dbias_md, t->dbiases[index], &l->bias_md), "gradient reorder");
  *dinput = NULL;
  if (!l->data) return 0;
  /* The gradient of the layer before's value, in that value's layout. */
  const Layer *before = &layers[index - 1];
  const dnnl_memory_desc_t *dsrc_md = query(l->data, dnnl_query_diff_src_md, 0);
  dnnl_memory_t dsrc;
  TRY(as_read(t, steps, count, dconv, dconv_md, query(l->data, dnnl_query_diff_dst_md, 0), &dout), "gradient reorder");
  TRY(make_memory(t, &before->value_md, 0, dinput), "gradient memory");
  int direct = p_dnnl_memory_desc_equal(dsrc_md, &before->value_md);
  if (direct) dsrc = *dinput;
  else TRY(make_memory(t, dsrc_md, 0, &dsrc), "gradient memory");
  dnnl_exec_arg_t data_args[3] = {
      {DNNL_ARG_DIFF_DST, dout}, {DNNL_ARG_WEIGHTS, l->data_weights}, {DNNL_ARG_DIFF_SRC, dsrc}};
  TRY(add_step(steps, count, l->data, 3, data_args), "backward data primitive");
  if (!direct) TRY(add_reorder(t, steps, count, dsrc, dsrc_md, *dinput, &before->value_md), "gradient reorder");
  return 0;
fail:
  return 1;
}
#endif

glimpse_dnnl_trainer *glimpse_dnnl_trainer_create(int batch, int channels, int side, const glimpse_dnnl_conv *convs,
                                                  int count, char message[GLIMPSE_DNNL_MESSAGE_LENGTH]) {
#if HAVE_DNNL
  if (!glimpse_dnnl_available(message)) return NULL;
  if (count < 1 || count > MAX_LAYERS) {
    snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "oneDNN: a chain of %d convolutions (1 to %d)", count, MAX_LAYERS);
    return NULL;
  }
  if (!p_omp_get_max_threads || !p_omp_set_num_threads) {
    snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "oneDNN's threads cannot be set: it does not run on libgomp.so.1");
    return NULL;
  }
  /* Made for one thread too: oneDNN shares a primitive's work out when it is made. */
  int threads = p_omp_get_max_threads();
  p_omp_set_num_threads(1);
  glimpse_dnnl_trainer *t = calloc(1, sizeof *t);
  Layer *layers = calloc(count, sizeof *layers);
  if (!t || !layers) {
    snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "out of memory building the oneDNN network");
    goto fail;
  }
  t->count = count;
  TRY(p_dnnl_engine_create(&t->engine, dnnl_cpu, 0), "engine");
  TRY(p_dnnl_stream_create(&t->stream, t->engine, dnnl_stream_default_flags), "stream");
  dnnl_dims_t image_dims = {batch, channels, side, side};
  dnnl_memory_desc_t image_md, grid_md;
  TRY(p_dnnl_memory_desc_init_by_tag(&image_md, 4, image_dims, dnnl_f32, dnnl_nchw), "image layout");
  TRY(make_memory(t, &image_md, 1, &t->images), "image memory");
  for (int i = 0; i < count; i++) {
    if (make_layer(t, &layers[i], &convs[i], i, batch, side, i == 0 ? t->images : layers[i - 1].value,
                   i == 0 ? &image_md : &layers[i - 1].value_md, message))
      goto fail;
    side = convs[i].pool ? side / 2 : side;
  }
  /* The grid, [B, H·W, C], from the last value; its gradient back into the last value's layout. */
  Layer *last = &layers[count - 1];
  dnnl_dims_t grid_dims = {batch, convs[count - 1].out_channels, side, side};
  dnnl_memory_t dvalue;
  TRY(p_dnnl_memory_desc_init_by_tag(&grid_md, 4, grid_dims, dnnl_f32, dnnl_nhwc), "grid layout");
  TRY(make_memory(t, &grid_md, 1, &t->grid), "grid memory");
  TRY(make_memory(t, &grid_md, 1, &t->dgrid), "grid memory");
  TRY(add_reorder(t, t->forward, &t->forward_count, last->value, &last->value_md, t->grid, &grid_md), "grid reorder");
  TRY(make_memory(t, &last->value_md, 0, &dvalue), "gradient memory");
  TRY(add_reorder(t, t->backward, &t->backward_count, t->dgrid, &grid_md, dvalue, &last->value_md), "grid reorder");
  for (int i = count - 1; i >= 0; i--)
    if (make_layer_backward(t, layers, i, dvalue, &dvalue, message)) goto fail;
  TRY(glimpse_give_scratchpad(t->engine, t->forward, t->forward_count, &t->scratchpads[0], t->owned, &t->owned_count),
      "scratchpad");
  TRY(glimpse_give_scratchpad(t->engine, t->backward, t->backward_count, &t->scratchpads[1], t->owned,
                              &t->owned_count),
      "scratchpad");
  release(layers, count);
  free(layers);
  p_omp_set_num_threads(threads);
  return t;
fail:
  if (layers) release(layers, count), free(layers);
  glimpse_dnnl_trainer_destroy(t);
  p_omp_set_num_threads(threads);
  return NULL;
#else
  (void)batch, (void)channels, (void)side, (void)convs, (void)count;
  glimpse_dnnl_available(message);
  return NULL;
#endif
}

#if HAVE_DNNL
/* On the caller's thread alone: each core runs its own share of a batch, and a share's result must
   not depend on how many threads ran it, so that a batch split between the ranks of a job gives the
   bits it gives in one process. `status` is that of pointing the pass at the caller's buffers. */
static int run(glimpse_dnnl_trainer *t, dnnl_status_t status, Step *steps, int count, const char *what,
               char message[GLIMPSE_DNNL_MESSAGE_LENGTH]) {
  if (status != dnnl_success) {
    snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "oneDNN: pointing the %s pass at its buffers failed (%d)", what,
             (int)status);
    return 1;
  }
  int threads = p_omp_get_max_threads();
  p_omp_set_num_threads(1);
  for (int i = 0; status == dnnl_success && i < count; i++)
    status = p_dnnl_primitive_execute(steps[i].primitive, t->stream, steps[i].count, steps[i].args);
  if (status == dnnl_success) status = p_dnnl_stream_wait(t->stream);
  p_omp_set_num_threads(threads);
  if (status == dnnl_success) return 0;
  snprintf(message, GLIMPSE_DNNL_MESSAGE_LENGTH, "oneDNN: running the %s pass failed (%d)", what, (int)status);
  return 1;
}
#endif

int glimpse_dnnl_trainer_forward(glimpse_dnnl_trainer *t, const float *images, const float *const *weights,
                                 const float *const *biases, float *grid, char message[GLIMPSE_DNNL_MESSAGE_LENGTH]) {
#if HAVE_DNNL
  dnnl_status_t status = p_dnnl_memory_set_data_handle(t->images, (void *)images);
  if (status == dnnl_success) status = p_dnnl_memory_set_data_handle(t->grid, grid);
  for (int i = 0; status == dnnl_success && i < t->count; i++) {
    status = p_dnnl_memory_set_data_handle(t->weights[i], (void *)weights[i]);
    if (status == dnnl_success) status = p_dnnl_memory_set_data_handle(t->biases[i], (void *)biases[i]);
  }
  return run(t, status, t->forward, t->forward_count, "forward", message);
#else
  (void)t, (void)images, (void)weights, (void)biases, (void)grid;
  glimpse_dnnl_available(message);
  return 1;
#endif
}

int glimpse_dnnl_trainer_backward(glimpse_dnnl_trainer *t, const float *dgrid, float *const *dweights,
                                  float *const *dbiases, char message[GLIMPSE_DNNL_MESSAGE_LENGTH]) {
#if HAVE_DNNL
  dnnl_status_t status = p_dnnl_memory_set_data_handle(t->dgrid, (void *)dgrid);
  for (int i = 0; status == dnnl_success && i < t->count; i++) {
    status = p_dnnl_memory_set_data_handle(t->dweights[i], dweights[i]);
    if (status == dnnl_success) status = p_dnnl_memory_set_data_handle(t->dbiases[i], dbiases[i]);
  }
  return run(t, status, t->backward, t->backward_count, "backward", message);
#else
  (void)t, (void)dgrid, (void)dweights, (void)dbiases;
  glimpse_dnnl_available(message);
  return 1;
#endif
}

#if !HAVE_DNNL
void glimpse_dnnl_trainer_destroy(glimpse_dnnl_trainer *t) { (void)t; }
#endif
