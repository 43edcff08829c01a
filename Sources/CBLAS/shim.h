// OpenBLAS's cblas plus the two LAPACK routines ranklab uses. LAPACK ships inside libopenblas,
// so declaring its Fortran symbols here and linking openblas is enough. The trailing size_t
// arguments are the hidden lengths gfortran passes for CHARACTER arguments; passing them keeps
// the calls correct under compilers that rely on them.
#pragma once
#include <stddef.h>
#include <cblas.h>

void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s,
             float *u, const int *ldu, float *vt, const int *ldvt, float *work, const int *lwork,
             int *iwork, int *info, size_t jobz_len);

void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);
