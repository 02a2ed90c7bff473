#include "glimpse_jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

/* libjpeg's default error manager prints and calls exit(); this one records and jumps back. */
typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  char *message;
  uint8_t *cmyk_row;
} jpeg_context;

static void record_message(j_common_ptr cinfo) {
  jpeg_context *context = (jpeg_context *)cinfo->err;
  char text[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, text);
  strncpy(context->message, text, GLIMPSE_JPEG_MESSAGE_LENGTH - 1);
  context->message[GLIMPSE_JPEG_MESSAGE_LENGTH - 1] = '\0';
}

static void on_error_exit(j_common_ptr cinfo) {
  record_message(cinfo);
  longjmp(((jpeg_context *)cinfo->err)->jump, 1);
}

/* Level -1 is a warning: corrupt or truncated data that libjpeg would paper over with gray. */
static void on_emit_message(j_common_ptr cinfo, int level) {
  if (level < 0) {
    record_message(cinfo);
    longjmp(((jpeg_context *)cinfo->err)->jump, 1);
  }
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static int color_space_code(J_COLOR_SPACE space) {
  switch (space) {
    case JCS_GRAYSCALE: return GLIMPSE_JPEG_GRAY;
    case JCS_RGB: return GLIMPSE_JPEG_RGB;
    case JCS_YCbCr: return GLIMPSE_JPEG_YCBCR;
    case JCS_CMYK: return GLIMPSE_JPEG_CMYK;
    case JCS_YCCK: return GLIMPSE_JPEG_YCCK;
    default: return GLIMPSE_JPEG_OTHER;
  }
}

/* Pillow's cmyk2rgb: r = (255 - k) - round((255 - k) * c / 255), with c, k as ink amounts. */
static uint8_t ink_to_light(int ink, int black_ink) {
  int light = 255 - black_ink;
  int product = ink * light + 128;
  int value = light - (((product >> 8) + product) >> 8);
  return (uint8_t)(value < 0 ? 0 : value);
}

int glimpse_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                        glimpse_jpeg_info *info, uint8_t *pixels, size_t capacity) {
  struct jpeg_decompress_struct cinfo;
  jpeg_context context;
  memset(&cinfo, 0, sizeof cinfo);
  memset(&context, 0, sizeof context);
  memset(info, 0, sizeof *info);
  context.message = info->message;

  cinfo.err = jpeg_std_error(&context.base);
  context.base.error_exit = on_error_exit;
  context.base.emit_message = on_emit_message;
  context.base.output_message = on_output_message;
  if (setjmp(context.jump)) {
    jpeg_destroy_decompress(&cinfo);
    free(context.cmyk_row);
    return GLIMPSE_JPEG_ERROR;
  }
  jpeg_create_decompress(&cinfo);
  if (size == 0) {
    strcpy(info->message, "empty file");
    jpeg_destroy_decompress(&cinfo);
    return GLIMPSE_JPEG_ERROR;
  }
  jpeg_mem_src(&cinfo, data, (unsigned long)size);
  jpeg_read_header(&cinfo, TRUE);

  info->width = cinfo.image_width;
  info->height = cinfo.image_height;
  info->components = cinfo.num_components;
  info->color_space = color_space_code(cinfo.jpeg_color_space);
  info->precision = cinfo.data_precision;
  info->progressive = cinfo.progressive_mode;
  info->arithmetic = cinfo.arith_code;
  info->adobe_inverted = cinfo.saw_Adobe_marker;

  if ((uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height > max_pixels) {
    snprintf(info->message, GLIMPSE_JPEG_MESSAGE_LENGTH,
             "image is %ux%u, more than the limit of %llu pixels",
             cinfo.image_width, cinfo.image_height, (unsigned long long)max_pixels);
    jpeg_destroy_decompress(&cinfo);
    return GLIMPSE_JPEG_TOO_LARGE;
  }

  int is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  info->channels = cinfo.jpeg_color_space == JCS_GRAYSCALE ? 1 : 3;
  size_t row_bytes = (size_t)cinfo.image_width * (size_t)info->channels;
  if (!pixels) {
    jpeg_destroy_decompress(&cinfo);
    return GLIMPSE_JPEG_OK;
  }
  if (capacity < row_bytes * cinfo.image_height) {
    strcpy(info->message, "pixel buffer too small");
    jpeg_destroy_decompress(&cinfo);
    return GLIMPSE_JPEG_ERROR;
  }
  if (cinfo.jpeg_color_space == JCS_GRAYSCALE) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else if (is_cmyk) {
    cinfo.out_color_space = JCS_CMYK;
  } else {
    cinfo.out_color_space = JCS_RGB;
  }
  jpeg_start_decompress(&cinfo);
  if (is_cmyk) {
    context.cmyk_row = malloc((size_t)cinfo.output_width * 4);
    if (!context.cmyk_row) {
      strcpy(info->message, "out of memory for a CMYK row");
      jpeg_destroy_decompress(&cinfo);
      return GLIMPSE_JPEG_NO_MEMORY;
    }
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t *row = pixels + row_bytes * cinfo.output_scanline;
    JSAMPROW target = is_cmyk ? context.cmyk_row : row;
    jpeg_read_scanlines(&cinfo, &target, 1);
    if (is_cmyk) {
      for (uint32_t x = 0; x < cinfo.output_width; x++) {
        const uint8_t *s = context.cmyk_row + 4 * x;
        int c = s[0], m = s[1], y = s[2], k = s[3];
        if (cinfo.saw_Adobe_marker) {
          c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
        }
        row[3 * x] = ink_to_light(c, k);
        row[3 * x + 1] = ink_to_light(m, k);
        row[3 * x + 2] = ink_to_light(y, k);
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  free(context.cmyk_row);
  return GLIMPSE_JPEG_OK;
}

int glimpse_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int quality,
                        uint8_t **output, size_t *size, char *message) {
  struct jpeg_compress_struct cinfo;
  jpeg_context context;
  unsigned char *buffer = NULL;
  unsigned long length = 0;
  memset(&cinfo, 0, sizeof cinfo);
  memset(&context, 0, sizeof context);
  message[0] = '\0';
  context.message = message;
  *output = NULL;
  *size = 0;
  if ((channels != 1 && channels != 3) || width == 0 || height == 0 || width > 65500 || height > 65500) {
    strcpy(message, "JPEG needs 1 or 3 channels and sides of 1 to 65500 pixels");
    return GLIMPSE_JPEG_ERROR;
  }
  cinfo.err = jpeg_std_error(&context.base);
  context.base.error_exit = on_error_exit;
  context.base.emit_message = on_emit_message;
  context.base.output_message = on_output_message;
  if (setjmp(context.jump)) {
    jpeg_destroy_compress(&cinfo);
    free(buffer);
    return GLIMPSE_JPEG_ERROR;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &length);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * width * channels);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  *output = buffer;
  *size = length;
  return GLIMPSE_JPEG_OK;
}

void glimpse_jpeg_free(uint8_t *output) { free(output); }
