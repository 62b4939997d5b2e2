/* Class label tables. */
#ifndef DD_POSTPROC_LABELS_H
#define DD_POSTPROC_LABELS_H

#define DD_COCO_CLASSES 80
extern const char *const dd_coco_labels[DD_COCO_CLASSES];

extern const char *const dd_face_labels[1];

#endif
