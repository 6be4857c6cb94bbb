/* keras_h5.h: Keras HDF5 weight files made by tests, in the layout Keras 2.x save_weights writes
 * (root attribute layer_names; one group per layer with attribute weight_names "layer/var:0" and
 * a float32 dataset at each of those paths), which arch/weights_h5.c reads. */
#ifndef SK_TEST_KERAS_H5_H
#define SK_TEST_KERAS_H5_H

#include <stdint.h>
#include "sk_base.h"
#include "sk_arch.h"

/* Writes ws (layers in order of first appearance). Returns 0 on success. */
int sk_test_write_keras_h5(const char *path, const sk_wset *ws);

/* A stand-in for an official "notop" file: every tensor of arch's base (include_top=False) built
 * at size, drawn from its descriptor's initialisers with seed, under its Keras layer and
 * variable names. */
sk_status sk_test_keras_notop_h5(const char *path, const char *arch, int size, uint64_t seed, sk_error *err) SK_WUR;

#endif
