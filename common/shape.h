/* A static tensor shape: rank and extents. Shared by the graph IR, the model
 * package's metadata and the detector families (which recognise a model by
 * the shapes of its input and outputs). */
#ifndef DD_COMMON_SHAPE_H
#define DD_COMMON_SHAPE_H

#include <stdint.h>

#define DD_MAX_RANK 6

struct dd_shape {
    int rank;
    int64_t d[DD_MAX_RANK];
};

#endif
