/* Float preprocessing for the float path: letterboxes an RGB image into a
 * model's input tensor with the model's layout, channel order and
 * normalisation (bilinear, half-pixel centres). */
#ifndef DD_DETECTORS_PREPROCESS_H
#define DD_DETECTORS_PREPROCESS_H

#include "postproc/family.h"
#include "media/image.h"
#include "postproc/letterbox.h"

/* tensor holds spec->width * spec->height * 3 floats. */
int dd_preprocess_rgb_f32(const struct dd_image *img, const struct dd_input_spec *spec,
                          float *tensor, struct dd_letterbox *lb, struct dd_err *err);

#endif
