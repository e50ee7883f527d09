/* SPDX-License-Identifier: MIT
 *
 * status.h — result codes and the per-context error message.
 *
 * Every genlab library function reports failure through a genlab_status and,
 * where it has a context, a message kept on that context. Library code never
 * prints and never exits; the program embedding genlab decides what to do.
 *
 * Codes are append-only: they are stored in experiment databases, so a value,
 * once released, never changes meaning.
 */
#ifndef GENLAB_STATUS_H
#define GENLAB_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum genlab_status {
    GL_OK              = 0,  /* success */
    GL_ERR_NOMEM       = 1,  /* an allocation failed */
    GL_ERR_INVALID     = 2,  /* an argument value is out of range or NULL */
    GL_ERR_SHAPE       = 3,  /* tensor shapes do not fit together */
    GL_ERR_DTYPE       = 4,  /* a tensor has the wrong element type */
    GL_ERR_UNSUPPORTED = 5,  /* valid request this build or backend cannot do */
    GL_ERR_IO          = 6,  /* reading or writing a file failed */
    GL_ERR_ABI         = 7,  /* a plugin was built for another ABI */
    GL_ERR_NUMERIC     = 8,  /* a NaN or infinity where a finite value is needed */
    GL_ERR_STATE       = 9,  /* the call is not valid in the current state */
    GL_ERR_FORMAT      = 10, /* a file's contents are malformed */
    GL_ERR_DB          = 11, /* the experiment database refused an operation */
    GL_ERR_INTERRUPTED = 12  /* stopped by a signal or a user request */
} genlab_status;

/* genlab_status_str — static English text for a code ("out of memory", ...).
 * Never NULL; unknown codes give "unknown status". Thread-safe. */
const char *genlab_status_str(genlab_status status);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_STATUS_H */
