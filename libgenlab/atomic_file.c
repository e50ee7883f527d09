/* SPDX-License-Identifier: MIT
 *
 * atomic_file.c — temporary file, fsync, rename; and reading a file
 * whole: see atomic_file.h.
 */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(gl_atomic_file *a)
{
    free(a->tmp);
    free(a->path);
    *a = (gl_atomic_file){0};
}

genlab_status gl_atomic_begin(genlab_ctx *ctx, gl_atomic_file *a, const char *path)
{
    *a = (gl_atomic_file){0};
    size_t n = strlen(path);
    a->path = strdup(path);
    a->tmp = malloc(n + sizeof GL_ATOMIC_TMP_INFIX + 6);
    if (!a->path || !a->tmp) {
        release(a);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(a->tmp, path, n);
    strcpy(a->tmp + n, GL_ATOMIC_TMP_INFIX "XXXXXX");
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        int e = errno;
        release(a);
        return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot create the file: %s", path, strerror(e));
    }
    /* mkstemp makes 0600; a written image or checkpoint is an ordinary file */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        release(a);
        return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot create the file: %s", path, strerror(e));
    }
    return GL_OK;
}

/* sync_dir — make the rename durable; a directory that cannot be opened or
 * synced (some file systems refuse) costs durability, not correctness. */
static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

genlab_status gl_atomic_commit(genlab_ctx *ctx, gl_atomic_file *a)
{
    const char *step = "write";
    int e = 0;
    if (ferror(a->f) || fflush(a->f) != 0)
        e = errno ? errno : EIO;
    else if (fsync(fileno(a->f)) != 0)
        e = errno, step = "sync";
    int rc = fclose(a->f);
    a->f = NULL;
    if (!e && rc != 0)
        e = errno, step = "close";
    if (!e && rename(a->tmp, a->path) != 0)
        e = errno, step = "rename";
    if (e) {
        unlink(a->tmp);
        genlab_status st = genlab_errorf(ctx, GL_ERR_IO, "%s: cannot %s the file: %s", a->path,
                                         step, strerror(e));
        release(a);
        return st;
    }
    sync_dir(a->path);
    release(a);
    return GL_OK;
}

void gl_atomic_abort(gl_atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    release(a);
}

/* ---- reading ---- */

genlab_status gl_file_read(genlab_ctx *ctx, const char *path, uint64_t max_size,
                           const char *too_big, size_t pad, unsigned char **mem, size_t *size)
{
    *mem = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot open the file: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max_size) {
        close(fd);
        return genlab_errorf(ctx, S_ISREG(sb.st_mode) ? GL_ERR_FORMAT : GL_ERR_IO, "%s: %s", path,
                             S_ISREG(sb.st_mode) ? too_big : "not a regular file");
    }
    uint64_t want = (uint64_t)sb.st_size;
    unsigned char *buf = want <= SIZE_MAX - pad - 1 ? malloc((size_t)want + pad + 1) : NULL;
    if (!buf) {
        close(fd);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for %llu bytes", path,
                             (unsigned long long)want);
    }
    size_t got = 0;
    while (got < (size_t)want) {
        ssize_t r = read(fd, buf + got, (size_t)want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot read the file: %s", path,
                                 strerror(e));
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *mem = buf;
    *size = got;
    return GL_OK;
}
