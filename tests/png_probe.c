/* SPDX-License-Identifier: MIT
 *
 * png_probe.c — decodes a PNG with libpng and prints what the shell tests
 * check in plots and browser screenshots:
 *
 *   png_probe FILE [X Y W H]
 *
 * prints "WIDTH HEIGHT INK COLOURED": INK counts the pixels that are not
 * near-white (the page or plot background), COLOURED those whose channels
 * differ by more than 48 (a plotted line or an image, not grey text or
 * grid), both within the rectangle X Y W H (default: the whole image).
 * Exits 1 when the file does not decode.
 *
 *   png_probe --write FILE W H R G B
 *
 * writes a W x H PNG of one colour (a stand-in for a sample grid whose
 * colour a screenshot must show). A test helper, not a test.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_solid(char **argv)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)atoi(argv[3]);
    img.height = (png_uint_32)atoi(argv[4]);
    img.format = PNG_FORMAT_RGB;
    if (img.width < 1 || img.height < 1 || img.width > 4096 || img.height > 4096)
        return 2;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    if (!px)
        return 1;
    for (size_t i = 0; i < (size_t)img.width * img.height; i++)
        for (int c = 0; c < 3; c++)
            px[3 * i + (size_t)c] = (unsigned char)atoi(argv[5 + c]);
    int ok = png_image_write_to_file(&img, argv[2], 0, px, 0, NULL);
    free(px);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 8 && !strcmp(argv[1], "--write"))
        return write_solid(argv);
    if (argc != 2 && argc != 6) {
        fprintf(stderr, "usage: png_probe FILE [X Y W H]\n");
        return 2;
    }
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, argv[1])) {
        fprintf(stderr, "png_probe: %s: %s\n", argv[1], img.message);
        return 1;
    }
    img.format = PNG_FORMAT_RGB;
    if (img.width > 16384 || img.height > 16384) {
        fprintf(stderr, "png_probe: %s: %ux%u is too large\n", argv[1], img.width, img.height);
        png_image_free(&img);
        return 1;
    }
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
        fprintf(stderr, "png_probe: %s: %s\n", argv[1], px ? img.message : "out of memory");
        free(px);
        return 1;
    }
    long x0 = 0, y0 = 0, w = img.width, h = img.height;
    if (argc == 6) {
        x0 = atol(argv[2]), y0 = atol(argv[3]), w = atol(argv[4]), h = atol(argv[5]);
    }
    long ink = 0, coloured = 0;
    for (long y = y0; y < y0 + h && y < (long)img.height; y++)
        for (long x = x0; x < x0 + w && x < (long)img.width; x++) {
            const unsigned char *p = px + 3 * ((size_t)y * img.width + (size_t)x);
            int lo = p[0], hi = p[0];
            for (int c = 1; c < 3; c++) {
                lo = p[c] < lo ? p[c] : lo;
                hi = p[c] > hi ? p[c] : hi;
            }
            ink += lo < 240;
            coloured += hi - lo > 48;
        }
    printf("%u %u %ld %ld\n", img.width, img.height, ink, coloured);
    free(px);
    return 0;
}
