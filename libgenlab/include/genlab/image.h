/* SPDX-License-Identifier: MIT
 *
 * image.h — 8-bit images in memory: decoding PNG and JPEG files, writing
 * PNG files, the transforms datasets apply (resize, center crop, flip,
 * channel conversion, scaling to floats), and the sample grids and strips
 * researchers look at.
 *
 * An image is interleaved and row-major, as files store it: pixel (x, y)
 * channel c is data[(y * width + x) * channels + c]. Channels are 1 (gray),
 * 3 (RGB) or 4 (RGBA). Tensors are planar (N, C, H, W); the conversions
 * between the two are genlab_image_to_chw and the grid functions.
 *
 * Every function that can fail takes a context and leaves a message on it
 * naming the file (or the `name` given for a memory buffer) and what is
 * wrong. Decoders never abort the process: libpng's and libjpeg's error
 * paths are caught (setjmp) and turned into GL_ERR_FORMAT. On failure an
 * output image is left empty ({0}), so genlab_image_free is always safe.
 *
 * Thread-safety: the functions keep no global state; one image may be used
 * by one thread at a time.
 *
 * Sections: images, decoding, writing, transforms, grids.
 */
#ifndef GENLAB_IMAGE_H
#define GENLAB_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "status.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- images ---- */

typedef struct genlab_image {
    int32_t  width, height;
    int32_t  channels;          /* 1 gray, 3 RGB, 4 RGBA */
    uint8_t *data;              /* height * width * channels bytes (malloc) */
} genlab_image;

/* Decoders refuse images larger than this many pixels (a corrupt header
 * must not make us allocate gigabytes): 2^28, a 16384 x 16384 photo. */
#define GL_IMAGE_MAX_PIXELS ((int64_t)1 << 28)

/* genlab_image_alloc — allocate img's pixels (uninitialised) for a
 * width x height x channels image. GL_ERR_INVALID for a size out of
 * [1, GL_IMAGE_MAX_PIXELS] or channels not 1, 3 or 4; GL_ERR_NOMEM. */
genlab_status genlab_image_alloc(genlab_ctx *ctx, genlab_image *img, int32_t width,
                                 int32_t height, int32_t channels);

/* genlab_image_free — free img's pixels and zero it. NULL is a no-op. */
void genlab_image_free(genlab_image *img);

/* ---- decoding ---- */

typedef enum genlab_image_format {
    GL_IMAGE_UNKNOWN = 0,
    GL_IMAGE_PNG     = 1,
    GL_IMAGE_JPEG    = 2
} genlab_image_format;

/* genlab_image_sniff — the format a buffer's first bytes announce (the PNG
 * signature, or JPEG's SOI marker FF D8 FF). */
genlab_image_format genlab_image_sniff(const void *buf, size_t size);

/* genlab_image_decode — decode a PNG or JPEG held in memory into *out.
 * name: what messages call the data (a path; NULL reads "(memory)").
 * out: OUT: the image, owned by the caller (genlab_image_free); {0} on
 * failure.
 * PNG: every color type and bit depth (1, 2, 4, 8, 16), interlaced or not.
 *   Gray stays 1 channel, RGB 3; palette images become RGB, or RGBA when
 *   they have transparency (tRNS); gray with alpha becomes RGBA. 16-bit
 *   samples are scaled to 8 bits with rounding (libpng's png_set_scale_16).
 * JPEG: grayscale gives 1 channel, YCbCr and RGB give 3 (libjpeg-turbo's
 *   default upsampling and IDCT). CMYK is refused (GL_ERR_UNSUPPORTED).
 *   A stream libjpeg only warns about (truncated data it would fill with
 *   gray, corrupt entropy data) is refused as well: a training set must not
 *   silently hold half-gray images.
 * Returns GL_OK; GL_ERR_FORMAT for an empty buffer, an unknown format, a
 * corrupt or truncated stream (the library's message included), or an
 * image whose pixels cannot fit in the buffer (a PNG even at deflate's best
 * ratio, a Huffman-coded JPEG at one bit per 8 x 8 block: refused before
 * allocating); GL_ERR_INVALID for an image over
 * GL_IMAGE_MAX_PIXELS (but a PNG side longer than GL_IMAGE_MAX_PIXELS is
 * refused by libpng's own limit check: GL_ERR_FORMAT); GL_ERR_UNSUPPORTED
 * for CMYK or unknown JPEG color spaces; GL_ERR_NOMEM. */
genlab_status genlab_image_decode(genlab_ctx *ctx, const void *buf, size_t size,
                                  const char *name, genlab_image *out);

/* genlab_image_read — read the file at path and decode it as above.
 * GL_ERR_IO (naming path and the system's reason) when it cannot be read or
 * is not a regular file; GL_ERR_INVALID for a file over 2 GiB (8 bytes a
 * pixel at GL_IMAGE_MAX_PIXELS, more than any image it decodes needs). */
genlab_status genlab_image_read(genlab_ctx *ctx, const char *path, genlab_image *out);

/* ---- writing ---- */

/* genlab_png_write — write img as an 8-bit PNG (gray, RGB or RGBA as its
 * channels say) at path, atomically: into a temporary file in the same
 * directory, fsync'd, then renamed over path, so a crash or a full disk
 * never leaves a half-written image under the final name. GL_ERR_IO naming
 * the path and the reason; nothing is left behind on failure.
 * GL_ERR_INVALID for an img without data, sizes or channels 1, 3 or 4. */
genlab_status genlab_png_write(genlab_ctx *ctx, const char *path, const genlab_image *img);

/* ---- transforms ---- */

/* Resampling filters, each as Pillow's Image.resize defines it (the library
 * clean-fid and torchvision's PIL path use). Scaling down, the filter's
 * support widens by the scale factor, so every input pixel contributes
 * (antialiasing); scaling up it is the plain interpolation. Pixel centres
 * are at (i + 0.5), i.e. align_corners = False.
 *   AREA      Pillow's BOX: each output pixel is the plain mean of the
 *             input pixels whose centres lie in the area it covers (its
 *             right edge included). At integer ratios that is the area's
 *             mean, as OpenCV's INTER_AREA; at other ratios a pixel the
 *             edge cuts counts wholly or not at all (17 -> 8 pixels: the
 *             first output is the mean of inputs 0 and 1, not 0, 1 and
 *             1/8 of 2), so the two differ there
 *   BILINEAR  triangle filter (Pillow's BILINEAR)
 *   BICUBIC   cubic convolution with a = -0.5 (Pillow's BICUBIC)
 * Results are rounded to the nearest integer and clamped to [0, 255], after
 * each of the two passes (horizontal, then vertical), with Pillow's 22-bit
 * fixed-point weights: the bytes are Pillow 9.4's. RGBA is resized with
 * premultiplied alpha, as Pillow does (colours of fully transparent pixels
 * do not bleed into their neighbours). */
typedef enum genlab_resize_filter {
    GL_RESIZE_AREA     = 0,
    GL_RESIZE_BILINEAR = 1,
    GL_RESIZE_BICUBIC  = 2
} genlab_resize_filter;

/* "area", "bilinear", "bicubic"; "?" for an unknown value. Static. */
const char *genlab_resize_filter_name(genlab_resize_filter filter);

/* genlab_image_resize — in resized to width x height into *out (a new
 * image; in is untouched). The same size is an exact copy. GL_ERR_INVALID
 * for a bad size or filter, or an empty or malformed in; GL_ERR_NOMEM. */
genlab_status genlab_image_resize(genlab_ctx *ctx, const genlab_image *in, int32_t width,
                                  int32_t height, genlab_resize_filter filter, genlab_image *out);

/* genlab_image_resize_f32 — one float32 plane (Pillow's mode "F", which
 * clean-fid resizes channel by channel) of width x height, row-major, into
 * out (out_width x out_height floats, caller's memory): Pillow 9.4's
 * Image.resize of a float image. The same windows and weights as
 * genlab_image_resize, but summed in double from the unquantised weights
 * and rounded to float after each pass (horizontal, then vertical; a pass
 * is skipped when its side keeps its size), so the values are Pillow's to
 * the bit; nothing is clamped (the cubic overshoots). The same size is a
 * copy. GL_ERR_INVALID for a side below 1, a plane over the image size
 * limit or an unknown filter; GL_ERR_NOMEM. in and out must not overlap. */
genlab_status genlab_image_resize_f32(genlab_ctx *ctx, const float *in, int32_t width,
                                      int32_t height, int32_t out_width, int32_t out_height,
                                      genlab_resize_filter filter, float *out);

/* genlab_image_center_crop — the width x height window at the centre of
 * in into *out. The window's left edge is round((in->width - width) / 2)
 * with halves rounded to even, as Python's round() in torchvision's
 * CenterCrop (an offset of 1.5 gives 2, one of 2.5 gives 2), and likewise
 * its top. GL_ERR_INVALID when the window is empty or larger than the
 * image. */
genlab_status genlab_image_center_crop(genlab_ctx *ctx, const genlab_image *in, int32_t width,
                                       int32_t height, genlab_image *out);

/* genlab_image_flip_h — mirror img left to right, in place. An empty
 * image is left as it is. */
void genlab_image_flip_h(genlab_image *img);

/* genlab_image_convert — in with `channels` channels into *out:
 *   gray -> RGB       the gray value in all three channels
 *   RGB(A) -> gray    ITU-R 601-2 luma as Pillow's convert("L") computes
 *                     it, in 16-bit fixed point and rounded:
 *                     L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16
 *   RGBA -> RGB       alpha dropped (Pillow's convert("RGB"))
 *   same count        a copy
 * GL_ERR_INVALID for channels not 1, 3 or 4, or gray/RGB -> RGBA. */
genlab_status genlab_image_convert(genlab_ctx *ctx, const genlab_image *in, int32_t channels,
                                   genlab_image *out);

/* How 8-bit values become floats. */
typedef enum genlab_value_range {
    GL_RANGE_SIGNED = 0,        /* [-1, 1]: v / 127.5 - 1 (GANs, diffusion) */
    GL_RANGE_UNIT   = 1         /* [0, 1]:  v / 255       (VAEs with BCE) */
} genlab_value_range;

/* genlab_image_to_chw — img as planar floats: dst[(c * H + y) * W + x]
 * (channels * height * width floats, caller's memory), each computed in
 * float arithmetic as the range's formula says. */
void genlab_image_to_chw(const genlab_image *img, genlab_value_range range, float *dst);

/* ---- grids ---- */

/* How a grid of samples is laid out and how values become pixels. */
typedef struct genlab_grid_options {
    int32_t ncol;       /* images per row; 0: ceil(sqrt(n)) */
    int32_t padding;    /* pixels between images and around the grid */
    uint8_t pad_value;  /* the padding's gray level */
    float   lo, hi;     /* the value range shown: v -> clamp((v - lo) / (hi -
                         * lo), 0, 1) * 255, rounded half up; NaN shows as lo */
} genlab_grid_options;

/* genlab_image_quantize — the byte a value v shows as in the range [lo,
 * hi] (lo < hi): clamp to [lo, hi], (v - lo) / (hi - lo) * 255 + 0.5
 * truncated, in float32 in torchvision's save_image order, so the bytes are
 * torchvision's; NaN gives 0. The grids' rule, and how the clean-fid
 * resize sees a [-1, 1] image as the 8-bit image genlab would save. */
uint8_t genlab_image_quantize(float v, float lo, float hi);

/* genlab_grid_defaults — torchvision's make_grid/save_image defaults for
 * [-1, 1] images: ncol 0 (square), padding 2, pad_value 0, lo -1, hi 1. */
genlab_grid_options genlab_grid_defaults(void);

/* genlab_image_grid — the images of x ((N, C, H, W) float32, C 1 or 3)
 * tiled row by row into one image, as torchvision's make_grid lays them
 * out: cells of (H + padding) x (W + padding), a padding-wide border on
 * every side, the last row left as padding where N is not a multiple of
 * ncol; ncol larger than N gives N columns. Unlike make_grid, a lone image
 * (N = 1) gets its border too, and gray stays gray: the result has C
 * channels. opt: NULL for genlab_grid_defaults(). out: OUT: a new image
 * (genlab_image_free); {0} on failure. A NULL x returns the context's
 * sticky status (GL_ERR_INVALID if none). GL_ERR_SHAPE / GL_ERR_DTYPE for
 * another tensor; GL_ERR_INVALID for lo >= hi (or either not finite), a
 * negative padding or ncol, or a grid over GL_IMAGE_MAX_PIXELS. */
genlab_status genlab_image_grid(genlab_ctx *ctx, const genlab_tensor *x,
                                const genlab_grid_options *opt, genlab_image *out);

/* genlab_image_strips — frames ((T, N, C, H, W) float32: T steps of a
 * latent interpolation or a denoising sequence of N samples) as N rows of
 * T images: row i shows sample i from the first frame to the last. ncol in
 * opt is ignored (it is T). Errors as genlab_image_grid. */
genlab_status genlab_image_strips(genlab_ctx *ctx, const genlab_tensor *frames,
                                  const genlab_grid_options *opt, genlab_image *out);

/* genlab_save_grid — genlab_image_grid (or genlab_image_strips for a 5-D
 * tensor) written to path with genlab_png_write. */
genlab_status genlab_save_grid(genlab_ctx *ctx, const char *path, const genlab_tensor *x,
                               const genlab_grid_options *opt);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_IMAGE_H */
