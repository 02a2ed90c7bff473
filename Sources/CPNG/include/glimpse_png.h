#ifndef GLIMPSE_PNG_H
#define GLIMPSE_PNG_H

#include <stddef.h>
#include <stdint.h>

#define GLIMPSE_PNG_MESSAGE_LENGTH 256

enum {
  GLIMPSE_PNG_OK = 0,
  GLIMPSE_PNG_ERROR = 1,      /* libpng refused the data; message says why */
  GLIMPSE_PNG_TOO_LARGE = 2,  /* width x height exceeds the caller's pixel limit */
  GLIMPSE_PNG_NO_MEMORY = 3
};

/* What the file's header says, and the layout of the decoded pixels. */
typedef struct {
  uint32_t width;
  uint32_t height;
  int bit_depth;   /* as stored: 1, 2, 4, 8 or 16 */
  int color_type;  /* as stored: PNG_COLOR_TYPE_* (0, 2, 3, 4, 6) */
  int interlaced;  /* 1 for Adam7 */
  int has_trns;    /* a tRNS chunk became an alpha channel */
  int channels;    /* of the decoded 8-bit pixels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
  char message[GLIMPSE_PNG_MESSAGE_LENGTH];
} glimpse_png_info;

/* Decodes a whole PNG held in memory to 8-bit samples: palette expanded, low bit depths scaled
   to 0-255, 16-bit samples scaled as round(v*255/65535), tRNS turned into alpha, gamma and bKGD
   not applied. The pixel limit is checked against the header first.
   With pixels == NULL only the header is read: info gets the size and decoded channels, so
   the caller can allocate width*height*channels bytes and call again with that buffer, which
   is filled rows top to bottom. On any status but GLIMPSE_PNG_OK, info->message says why. */
int glimpse_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels,
                       glimpse_png_info *info, uint8_t *pixels, size_t capacity);

/* Encodes 8-bit pixels (channels 1-4: gray, gray+alpha, RGB, RGBA) as a PNG in memory.
   On GLIMPSE_PNG_OK, *png holds *png_size bytes, to be released with glimpse_png_free. */
int glimpse_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                       uint8_t **png, size_t *png_size,
                       char message[GLIMPSE_PNG_MESSAGE_LENGTH]);

void glimpse_png_free(void *buffer);

#endif
