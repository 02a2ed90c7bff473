/* The C libraries' own decode time, for comparison with `glimpse bench image`: the same
   libpng/libjpeg calls and settings with no wrapper, from memory, median of timed repeats.
   Built and run by scripts/bench_decode. Prints: file, median MP/s, best MP/s. Errors simply
   abort: this is a measuring tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jpeglib.h>
#include <png.h>

static const unsigned char *src;
static size_t src_size, src_pos;

static void read_mem(png_structp png, png_bytep out, png_size_t n) {
  (void)png;
  memcpy(out, src + src_pos, n);
  src_pos += n;
}

static void quiet(png_structp png, png_const_charp text) { (void)png; (void)text; }

static size_t decode_png(void) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, quiet);
  png_infop info = png_create_info_struct(png);
  src_pos = 0;
  png_set_read_fn(png, NULL, read_mem);
  png_read_info(png, info);
  png_set_expand(png);
  png_set_scale_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  size_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  size_t rb = png_get_rowbytes(png, info);
  unsigned char *pixels = malloc(rb * h);
  png_bytep *rows = malloc(sizeof(png_bytep) * h);
  for (size_t y = 0; y < h; y++) rows[y] = pixels + rb * y;
  png_read_image(png, rows);
  png_read_end(png, NULL);
  png_destroy_read_struct(&png, &info, NULL);
  free(rows);
  free(pixels);
  return w * h;
}

static size_t decode_jpeg(void) {
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, src, src_size);
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  size_t rb = (size_t)cinfo.output_width * cinfo.output_components;
  unsigned char *pixels = malloc(rb * cinfo.output_height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels + rb * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  size_t n = (size_t)cinfo.output_width * cinfo.output_height;
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  free(pixels);
  return n;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int repeats = 20, first = 1;
  if (argc > 2 && strcmp(argv[1], "-n") == 0) {
    repeats = atoi(argv[2]);
    first = 3;
  }
  if (repeats < 2 || repeats > 1000) { fprintf(stderr, "-n takes 2 to 1000\n"); return 2; }
  for (int i = first; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) { perror(argv[i]); return 1; }
    fseek(f, 0, SEEK_END);
    src_size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(src_size);
    if (fread(data, 1, src_size, f) != src_size) { perror(argv[i]); return 1; }
    fclose(f);
    src = data;
    size_t (*decode)(void) = data[0] == 0x89 ? decode_png : decode_jpeg;
    double rates[1000];
    for (int r = 0; r < 2; r++) decode();
    for (int r = 0; r < repeats; r++) {
      double start = now();
      size_t pixels = decode();
      rates[r] = pixels / 1e6 / (now() - start);
    }
    qsort(rates, repeats, sizeof(double), compare);
    const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
    double median = repeats % 2 ? rates[repeats / 2] : (rates[repeats / 2 - 1] + rates[repeats / 2]) / 2;
    printf("%s\t%.2f\t%.2f\n", name, median, rates[repeats - 1]);
    free(data);
  }
  return 0;
}
