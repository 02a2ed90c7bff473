#include "glimpse_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything the error path needs lives here, never in locals changed after setjmp. */
typedef struct {
  jmp_buf jump;
  char *message;
  const uint8_t *data;
  size_t size;
  size_t position;
  png_bytep *rows;
  uint8_t *output;
  size_t output_size;
  size_t output_capacity;
} png_context;

static void copy_message(char *destination, const char *text) {
  strncpy(destination, text ? text : "unknown error", GLIMPSE_PNG_MESSAGE_LENGTH - 1);
  destination[GLIMPSE_PNG_MESSAGE_LENGTH - 1] = '\0';
}

static void on_error(png_structp png, png_const_charp text) {
  png_context *context = (png_context *)png_get_error_ptr(png);
  copy_message(context->message, text);
  longjmp(context->jump, 1);
}

/* Warnings (bad ancillary chunks, for example) do not stop a decode, and are never printed. */
static void on_warning(png_structp png, png_const_charp text) {
  (void)png;
  (void)text;
}

static void read_from_memory(png_structp png, png_bytep destination, png_size_t length) {
  png_context *context = (png_context *)png_get_io_ptr(png);
  if (length > context->size - context->position) {
    png_error(png, "unexpected end of file");
  }
  memcpy(destination, context->data + context->position, length);
  context->position += length;
}

/* libpng allocates a chunk's whole stated length before reading it, and past its chunk limit
   it only warns: a 63-byte file stating a 2 GB sPLT chunk made it allocate 2 GB (found by
   fuzzing). The file is in memory, so every chunk but IDAT (which libpng streams, and whose
   truncation it reports itself) must fit in what is left of it. */
static int chunk_lengths_fit(const uint8_t *data, size_t size, char *message) {
  size_t position = 8;
  while (position + 8 <= size) {
    const uint8_t *chunk = data + position;
    uint32_t length = (uint32_t)chunk[0] << 24 | (uint32_t)chunk[1] << 16 | (uint32_t)chunk[2] << 8 | chunk[3];
    size_t left = size - position - 8;
    if (memcmp(chunk + 4, "IDAT", 4) != 0 && length > left) {
      char name[5];
      for (int k = 0; k < 4; k++) name[k] = (chunk[4 + k] >= 32 && chunk[4 + k] < 127) ? (char)chunk[4 + k] : '?';
      name[4] = '\0';
      snprintf(message, GLIMPSE_PNG_MESSAGE_LENGTH, "chunk %s states %u bytes but only %zu are left in the file", name,
               length, left);
      return 0;
    }
    if (memcmp(chunk + 4, "IEND", 4) == 0 || length > left) return 1;
    position += 12 + (size_t)length;
  }
  return 1;
}

static int decoded_channels(int color_type, int has_trns) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return has_trns ? 2 : 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return has_trns ? 4 : 3;
    case PNG_COLOR_TYPE_PALETTE: return has_trns ? 4 : 3;
    default: return 4;
  }
}

int glimpse_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                       glimpse_png_info *info, uint8_t *pixels, size_t capacity) {
  png_context context;
  memset(&context, 0, sizeof context);
  memset(info, 0, sizeof *info);
  context.message = info->message;
  context.data = data;
  context.size = size;

  if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
    copy_message(info->message, size < 8 ? "file too short for a PNG signature" : "not a PNG signature");
    return GLIMPSE_PNG_ERROR;
  }
  if (!chunk_lengths_fit(data, size, info->message)) return GLIMPSE_PNG_ERROR;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
  if (!png) {
    copy_message(info->message, "out of memory creating the PNG reader");
    return GLIMPSE_PNG_NO_MEMORY;
  }
  png_infop header = png_create_info_struct(png);
  if (!header) {
    png_destroy_read_struct(&png, NULL, NULL);
    copy_message(info->message, "out of memory creating the PNG reader");
    return GLIMPSE_PNG_NO_MEMORY;
  }
  if (setjmp(context.jump)) {
    png_destroy_read_struct(&png, &header, NULL);
    free(context.rows);
    return GLIMPSE_PNG_ERROR;
  }
  png_set_read_fn(png, &context, read_from_memory);
  /* Decompressed ancillary chunks (iCCP, zTXt, iTXt) stop at 8 MB; the cache of sPLT and text
     chunks at 1,000. */
  png_set_chunk_malloc_max(png, 8u << 20);
  png_set_chunk_cache_max(png, 1000);
  png_read_info(png, header);

  info->width = png_get_image_width(png, header);
  info->height = png_get_image_height(png, header);
  info->bit_depth = png_get_bit_depth(png, header);
  info->color_type = png_get_color_type(png, header);
  info->interlaced = png_get_interlace_type(png, header) != PNG_INTERLACE_NONE;
  info->has_trns = png_get_valid(png, header, PNG_INFO_tRNS) != 0;

  if ((uint64_t)info->width * (uint64_t)info->height > max_pixels) {
    png_destroy_read_struct(&png, &header, NULL);
    snprintf(info->message, GLIMPSE_PNG_MESSAGE_LENGTH,
             "image is %ux%u, more than the limit of %llu pixels",
             info->width, info->height, (unsigned long long)max_pixels);
    return GLIMPSE_PNG_TOO_LARGE;
  }

  png_set_expand(png);
  png_set_scale_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, header);

  int channels = png_get_channels(png, header);
  if (channels != decoded_channels(info->color_type, info->has_trns) ||
      png_get_bit_depth(png, header) != 8) {
    png_error(png, "unexpected layout after expanding to 8-bit samples");
  }
  info->channels = channels;
  size_t row_bytes = (size_t)info->width * (size_t)channels;
  if (!pixels) {
    png_destroy_read_struct(&png, &header, NULL);
    return GLIMPSE_PNG_OK;
  }
  if (capacity < row_bytes * info->height) {
    png_error(png, "pixel buffer too small");
  }
  context.rows = malloc(sizeof(png_bytep) * info->height);
  if (!context.rows) {
    png_error(png, "out of memory for the row table");
  }
  for (uint32_t y = 0; y < info->height; y++) {
    context.rows[y] = pixels + row_bytes * y;
  }
  png_read_image(png, context.rows);
  png_read_end(png, NULL);

  png_destroy_read_struct(&png, &header, NULL);
  free(context.rows);
  return GLIMPSE_PNG_OK;
}

static void write_to_memory(png_structp png, png_bytep source, png_size_t length) {
  png_context *context = (png_context *)png_get_io_ptr(png);
  if (length > context->output_capacity - context->output_size) {
    size_t capacity = context->output_capacity ? context->output_capacity : 4096;
    while (capacity - context->output_size < length) capacity *= 2;
    uint8_t *grown = realloc(context->output, capacity);
    if (!grown) png_error(png, "out of memory for the encoded PNG");
    context->output = grown;
    context->output_capacity = capacity;
  }
  memcpy(context->output + context->output_size, source, length);
  context->output_size += length;
}

static void flush_memory(png_structp png) { (void)png; }

int glimpse_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                       uint8_t **png_bytes, size_t *png_size,
                       char message[GLIMPSE_PNG_MESSAGE_LENGTH]) {
  static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  png_context context;
  memset(&context, 0, sizeof context);
  context.message = message;
  message[0] = '\0';
  *png_bytes = NULL;
  *png_size = 0;
  if (channels < 1 || channels > 4 || width == 0 || height == 0) {
    copy_message(message, "a PNG needs 1 to 4 channels and a non-empty size");
    return GLIMPSE_PNG_ERROR;
  }
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
  if (!png) {
    copy_message(message, "out of memory creating the PNG writer");
    return GLIMPSE_PNG_NO_MEMORY;
  }
  png_infop header = png_create_info_struct(png);
  if (!header) {
    png_destroy_write_struct(&png, NULL);
    copy_message(message, "out of memory creating the PNG writer");
    return GLIMPSE_PNG_NO_MEMORY;
  }
  if (setjmp(context.jump)) {
    png_destroy_write_struct(&png, &header);
    free(context.output);
    return GLIMPSE_PNG_ERROR;
  }
  png_set_write_fn(png, &context, write_to_memory, flush_memory);
  png_set_IHDR(png, header, width, height, 8, color_types[channels], PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, header);
  size_t row_bytes = (size_t)width * (size_t)channels;
  for (uint32_t y = 0; y < height; y++) {
    png_write_row(png, pixels + row_bytes * y);
  }
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &header);
  *png_bytes = context.output;
  *png_size = context.output_size;
  return GLIMPSE_PNG_OK;
}

void glimpse_png_free(void *buffer) { free(buffer); }
