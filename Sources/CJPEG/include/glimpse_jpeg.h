#ifndef GLIMPSE_JPEG_H
#define GLIMPSE_JPEG_H

#include <stddef.h>
#include <stdint.h>

#define GLIMPSE_JPEG_MESSAGE_LENGTH 256

enum {
  GLIMPSE_JPEG_OK = 0,
  GLIMPSE_JPEG_ERROR = 1,      /* libjpeg refused the data, or warned (truncation, corruption) */
  GLIMPSE_JPEG_TOO_LARGE = 2,  /* width x height exceeds the caller's pixel limit */
  GLIMPSE_JPEG_NO_MEMORY = 3
};

enum {
  GLIMPSE_JPEG_GRAY = 1,
  GLIMPSE_JPEG_RGB = 2,
  GLIMPSE_JPEG_YCBCR = 3,
  GLIMPSE_JPEG_CMYK = 4,
  GLIMPSE_JPEG_YCCK = 5,
  GLIMPSE_JPEG_OTHER = 0
};

/* What the file's header says, and the layout of the decoded pixels (as stored: EXIF
   orientation is not applied here). */
typedef struct {
  uint32_t width;
  uint32_t height;
  int components;   /* in the file: 1, 3 or 4 */
  int color_space;  /* GLIMPSE_JPEG_* of the file */
  int precision;    /* bits per sample, 8 (12-bit files are refused) */
  int progressive;
  int arithmetic;
  int adobe_inverted; /* an Adobe marker says CMYK/YCCK samples are stored inverted */
  int channels;     /* of the decoded pixels: 1 gray or 3 RGB */
  char message[GLIMPSE_JPEG_MESSAGE_LENGTH];
} glimpse_jpeg_info;

/* Decodes a whole JPEG held in memory to 8-bit gray or RGB with libjpeg's default settings
   (islow IDCT, fancy upsampling); CMYK and YCCK become RGB as Pillow converts them. Any libjpeg
   warning, such as a truncated stream, is an error. The pixel limit is checked against the
   header first. With pixels == NULL only the header is read: info gets the size and channels,
   so the caller can allocate width*height*channels bytes and call again with that buffer,
   which is filled rows top to bottom. On any status but GLIMPSE_JPEG_OK, info->message says
   why. */
int glimpse_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                        glimpse_jpeg_info *info, uint8_t *pixels, size_t capacity);

/* Encodes 8-bit gray (channels 1) or RGB (channels 3) pixels, rows top to bottom, as a
   baseline JPEG of the given quality (1-100), 4:2:0 for RGB. On GLIMPSE_JPEG_OK *output holds
   *size bytes, to be released with glimpse_jpeg_free; otherwise message says why. */
int glimpse_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int quality,
                        uint8_t **output, size_t *size, char *message);

void glimpse_jpeg_free(uint8_t *output);

#endif
