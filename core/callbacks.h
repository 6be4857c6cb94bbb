/* callbacks.h: ReduceLROnPlateau and EarlyStopping with tf.keras 2.9's exact rules.
 *
 * Both are plain state machines fed one monitored value per epoch; their whole state is in the
 * struct (plain fields, serialised by checkpoint.c), so a resumed run continues exactly.
 * Comparisons happen in double, as NumPy does on the Python floats Keras logs; the learning
 * rate is a float32 variable in Keras, so it is kept as float here.
 *
 * ReduceLROnPlateau.on_epoch_end: if in cooldown (counter > 0): counter -= 1, wait = 0.
 *   If improved (min: current < best - min_delta): best = current, wait = 0;
 *   else if not in cooldown: wait += 1; if wait >= patience: if lr > float32(min_lr):
 *   lr = float32(max(lr * factor, min_lr)), cooldown counter = cooldown, wait = 0.
 * EarlyStopping.on_epoch_end (min mode, baseline none or given): if restoring and no best
 *   weights yet: snapshot; wait += 1; if improved (current < best - min_delta): best = current,
 *   best_epoch = epoch, snapshot if restoring, and wait = 0 if also better than the baseline;
 *   if wait >= patience and epoch > 0: stop; restore the snapshot if restoring.
 * The weight snapshot itself is the caller's (params + state slabs); these functions say when. */
#ifndef SK_CALLBACKS_H
#define SK_CALLBACKS_H

#include <stdint.h>

typedef enum { SK_MODE_MIN = 0, SK_MODE_MAX = 1 } sk_monitor_mode;

typedef struct {
    /* configuration (Keras defaults: factor 0.1, patience 10, min_delta 1e-4, cooldown 0,
     * min_lr 0, mode min) */
    sk_monitor_mode mode;
    double factor, min_delta, min_lr;
    int patience, cooldown;
    /* state */
    double best;
    int wait, cooldown_counter;
} sk_reduce_lr;

void sk_reduce_lr_init(sk_reduce_lr *r, double factor, int patience, double min_delta,
                       int cooldown, double min_lr, sk_monitor_mode mode);
/* Feeds one epoch's monitored value; may change *lr. Returns 1 if it reduced the rate. */
int sk_reduce_lr_epoch_end(sk_reduce_lr *r, double current, float *lr);

typedef enum { SK_ES_CONTINUE = 0, SK_ES_STOP = 1 } sk_es_action;

typedef struct {
    /* configuration (Keras defaults: min_delta 0, patience 0, no baseline, no restore) */
    sk_monitor_mode mode;
    double min_delta; /* as given (positive); the sign rule is applied inside */
    int patience;
    int has_baseline;
    double baseline;
    int restore_best_weights;
    /* state */
    double best;
    int wait, best_epoch, stopped_epoch;
    int have_best_weights;
} sk_early_stop;

void sk_early_stop_init(sk_early_stop *e, int patience, double min_delta,
                        int restore_best_weights, sk_monitor_mode mode);
void sk_early_stop_set_baseline(sk_early_stop *e, double baseline);

/* What the caller must do after sk_early_stop_epoch_end. */
typedef struct {
    int snapshot;  /* copy the current weights into the best-weights snapshot */
    int stop;      /* stop training after this epoch */
    int restore;   /* copy the snapshot back into the model (after taking any snapshot) */
} sk_es_decision;

/* Feeds epoch (0-based) and its monitored value. */
sk_es_decision sk_early_stop_epoch_end(sk_early_stop *e, int epoch, double current);

#endif
