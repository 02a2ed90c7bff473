/* EfficientNet-Lite0's 16 depthwise layers (224×224 input, bias and ReLU6 fused, TensorFlow
   "same" padding) through the kernel libraries Debian ships, one image on one thread, to set
   beside glimpse's own kernel (`glimpse bench --only photo`: photo.depthwise.1core):
   - oneDNN 2.6 (libdnnl-dev) in plain NCHW, as glimpse keeps its activations, and in the blocked
     layout oneDNN picks for itself ("any", the layout a whole oneDNN network would keep);
   - XNNPACK (libxnnpack-dev) in NHWC, its only layout.
   By hand, after `apt-get install libdnnl-dev libxnnpack-dev libpthreadpool-dev`:

     cc -O2 -o /tmp/bench_depthwise scripts/bench_depthwise_libraries.c -ldnnl -lXNNPACK -lpthreadpool -lm
     OMP_NUM_THREADS=1 /tmp/bench_depthwise

   Prints each layer's median milliseconds (of 50 runs after 5 warm-ups) and the sums. */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xnnpack.h>

#define RUNS 50
#define CHECK(call)                                                                  \
  do {                                                                               \
    int status_ = (int)(call);                                                       \
    if (status_ != 0) {                                                              \
      fprintf(stderr, "%s:%d: %s failed with %d\n", __FILE__, __LINE__, #call, status_); \
      exit(1);                                                                       \
    }                                                                                \
  } while (0)

typedef struct { int channels, side, kernel, stride; } Layer;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_ms(void (*run)(void *), void *context) {
  double samples[RUNS];
  for (int i = 0; i < 5; i++) run(context);
  for (int i = 0; i < RUNS; i++) {
    double start = now();
    run(context);
    samples[i] = (now() - start) * 1000;
  }
  qsort(samples, RUNS, sizeof(double), compare);
  return samples[RUNS / 2];
}

static void fill(float *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    p[i] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
  }
}

/* TensorFlow "same": ⌈in / stride⌉ outputs, the odd padding pixel after. */
static void same(int in, int kernel, int stride, int *out, int *before, int *after) {
  *out = (in + stride - 1) / stride;
  int total = (*out - 1) * stride + kernel - in;
  if (total < 0) total = 0;
  *before = total / 2;
  *after = total - *before;
}

typedef struct {
  dnnl_primitive_t primitive;
  dnnl_stream_t stream;
  dnnl_exec_arg_t args[4];
} DnnlRun;

static void run_dnnl(void *context) {
  DnnlRun *r = context;
  CHECK(dnnl_primitive_execute(r->primitive, r->stream, 4, r->args));
  CHECK(dnnl_stream_wait(r->stream));
}

static double time_dnnl(dnnl_engine_t engine, dnnl_stream_t stream, Layer l, int blocked) {
  int out, before, after;
  same(l.side, l.kernel, l.stride, &out, &before, &after);
  dnnl_dims_t src_dims = {1, l.channels, l.side, l.side}, dst_dims = {1, l.channels, out, out};
  dnnl_dims_t w_dims = {l.channels, 1, 1, l.kernel, l.kernel}, b_dims = {l.channels};
  dnnl_dims_t strides = {l.stride, l.stride}, pad_l = {before, before}, pad_r = {after, after};
  dnnl_memory_desc_t src, dst, w, b;
  CHECK(dnnl_memory_desc_init_by_tag(&src, 4, src_dims, dnnl_f32, blocked ? dnnl_format_tag_any : dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&dst, 4, dst_dims, dnnl_f32, blocked ? dnnl_format_tag_any : dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&w, 5, w_dims, dnnl_f32, blocked ? dnnl_format_tag_any : dnnl_goihw));
  CHECK(dnnl_memory_desc_init_by_tag(&b, 1, b_dims, dnnl_f32, dnnl_x));
  dnnl_convolution_desc_t desc;
  CHECK(dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, &src, &w, &b,
                                           &dst, strides, pad_l, pad_r));
  dnnl_post_ops_t ops;
  dnnl_primitive_attr_t attr;
  CHECK(dnnl_post_ops_create(&ops));
  CHECK(dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip, 0.0f, 6.0f));
  CHECK(dnnl_primitive_attr_create(&attr));
  CHECK(dnnl_primitive_attr_set_post_ops(attr, ops));
  dnnl_primitive_desc_t pd;
  CHECK(dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL));
  DnnlRun r = {.stream = stream};
  CHECK(dnnl_primitive_create(&r.primitive, pd));
  const int kinds[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST};
  const dnnl_query_t queries[4] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_weights_md, dnnl_query_dst_md};
  dnnl_memory_t memories[4];
  for (int i = 0; i < 4; i++) {
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, queries[i], i == 2 ? 1 : 0);
    CHECK(dnnl_memory_create(&memories[i], md, engine, DNNL_MEMORY_ALLOCATE));
    void *handle;
    CHECK(dnnl_memory_get_data_handle(memories[i], &handle));
    fill(handle, dnnl_memory_desc_get_size(md) / sizeof(float), 7 + i);
    r.args[i] = (dnnl_exec_arg_t){kinds[i], memories[i]};
  }
  double ms = median_ms(run_dnnl, &r);
  for (int i = 0; i < 4; i++) dnnl_memory_destroy(memories[i]);
  dnnl_primitive_destroy(r.primitive);
  dnnl_primitive_desc_destroy(pd);
  dnnl_primitive_attr_destroy(attr);
  dnnl_post_ops_destroy(ops);
  return ms;
}

static void run_xnn(void *context) { CHECK(xnn_run_operator(context, NULL)); }

static double time_xnnpack(Layer l) {
  int out, before, after;
  same(l.side, l.kernel, l.stride, &out, &before, &after);
  size_t c = l.channels;
  float *input = malloc(sizeof(float) * c * l.side * l.side), *output = malloc(sizeof(float) * c * out * out);
  float *kernel = malloc(sizeof(float) * c * l.kernel * l.kernel), *bias = malloc(sizeof(float) * c);
  fill(input, c * l.side * l.side, 1);
  fill(kernel, c * l.kernel * l.kernel, 2);
  fill(bias, c, 3);
  xnn_operator_t op;
  CHECK(xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, l.kernel, l.kernel, l.stride, l.stride, 1, 1, c, 1, 1, c, c,
                                          kernel, bias, 0.0f, 6.0f, XNN_FLAG_TENSORFLOW_SAME_PADDING, &op));
  CHECK(xnn_setup_convolution2d_nhwc_f32(op, 1, l.side, l.side, input, output, NULL));
  double ms = median_ms(run_xnn, op);
  xnn_delete_operator(op);
  free(input), free(output), free(kernel), free(bias);
  return ms;
}

int main(void) {
  /* Lite0's MBConv blocks: (repeats, kernel, stride, expansion, input, output) per stage. */
  const int stages[7][6] = {{1, 3, 1, 1, 32, 16},  {2, 3, 2, 6, 16, 24},   {2, 5, 2, 6, 24, 40},  {3, 3, 2, 6, 40, 80},
                            {3, 5, 1, 6, 80, 112}, {4, 5, 2, 6, 112, 192}, {1, 3, 1, 6, 192, 320}};
  Layer layers[16];
  int count = 0, side = 112;
  for (int s = 0; s < 7; s++) {
    for (int r = 0; r < stages[s][0]; r++) {
      int input = r == 0 ? stages[s][4] : stages[s][5], stride = r == 0 ? stages[s][2] : 1;
      layers[count++] = (Layer){input * stages[s][3], side, stages[s][1], stride};
      side = (side + stride - 1) / stride;
    }
  }
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
  CHECK(xnn_initialize(NULL));
  double totals[3] = {0, 0, 0};
  printf("layer  channels  side  kernel/stride  oneDNN nchw ms  oneDNN blocked ms  XNNPACK nhwc ms\n");
  for (int i = 0; i < count; i++) {
    double t[3] = {time_dnnl(engine, stream, layers[i], 0), time_dnnl(engine, stream, layers[i], 1),
                   time_xnnpack(layers[i])};
    for (int k = 0; k < 3; k++) totals[k] += t[k];
    printf("%5d  %8d  %4d  %6d/%d  %14.4f  %17.4f  %15.4f\n", i, layers[i].channels, layers[i].side, layers[i].kernel,
           layers[i].stride, t[0], t[1], t[2]);
  }
  printf("total%38s  %14.3f  %17.3f  %15.3f\n", "", totals[0], totals[1], totals[2]);
  return 0;
}
