#pragma once
#include <cblas.h>
// Exported by OpenBLAS but declared in openblas_config.h / cblas.h depending on the build.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
