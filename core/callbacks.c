/* callbacks.c: ReduceLROnPlateau and EarlyStopping state machines (tf.keras 2.9 rules, see
 * callbacks.h). No I/O, no weights: the caller acts on the decisions. */
#include "callbacks.h"

#include <math.h>

static int improved(sk_monitor_mode mode, double current, double reference, double min_delta)
{
    /* min: np.less(current, reference - min_delta); max: np.greater(current, reference + d) */
    return mode == SK_MODE_MIN ? current < reference - min_delta
                               : current > reference + min_delta;
}

void sk_reduce_lr_init(sk_reduce_lr *r, double factor, int patience, double min_delta,
                       int cooldown, double min_lr, sk_monitor_mode mode)
{
    r->mode = mode;
    r->factor = factor;
    r->patience = patience;
    r->min_delta = min_delta;
    r->cooldown = cooldown;
    r->min_lr = min_lr;
    r->best = mode == SK_MODE_MIN ? INFINITY : -INFINITY;
    r->wait = 0;
    r->cooldown_counter = 0;
}

int sk_reduce_lr_epoch_end(sk_reduce_lr *r, double current, float *lr)
{
    if (r->cooldown_counter > 0) {
        r->cooldown_counter--;
        r->wait = 0;
    }
    if (improved(r->mode, current, r->best, r->min_delta)) {
        r->best = current;
        r->wait = 0;
        return 0;
    }
    if (r->cooldown_counter > 0) return 0;
    r->wait++;
    if (r->wait < r->patience) return 0;
    float old_lr = *lr;
    if (!(old_lr > (float)r->min_lr)) return 0;
    double new_lr = (double)old_lr * r->factor;
    if (new_lr < r->min_lr) new_lr = r->min_lr;
    *lr = (float)new_lr;
    r->cooldown_counter = r->cooldown;
    r->wait = 0;
    return 1;
}

void sk_early_stop_init(sk_early_stop *e, int patience, double min_delta,
                        int restore_best_weights, sk_monitor_mode mode)
{
    e->mode = mode;
    e->patience = patience;
    e->min_delta = fabs(min_delta);
    e->has_baseline = 0;
    e->baseline = 0.0;
    e->restore_best_weights = restore_best_weights ? 1 : 0;
    e->best = mode == SK_MODE_MIN ? INFINITY : -INFINITY;
    e->wait = 0;
    e->best_epoch = 0;
    e->stopped_epoch = 0;
    e->have_best_weights = 0;
}

void sk_early_stop_set_baseline(sk_early_stop *e, double baseline)
{
    e->has_baseline = 1;
    e->baseline = baseline;
}

/* EarlyStopping._is_improvement: monitor_op(current - signed_min_delta, reference), where the
 * signed delta is -min_delta for min mode; rounding differs from ReduceLROnPlateau's form. */
static int es_improved(const sk_early_stop *e, double current, double reference)
{
    return e->mode == SK_MODE_MIN ? current + e->min_delta < reference
                                  : current - e->min_delta > reference;
}

sk_es_decision sk_early_stop_epoch_end(sk_early_stop *e, int epoch, double current)
{
    sk_es_decision d = {0, 0, 0};
    if (e->restore_best_weights && !e->have_best_weights) {
        d.snapshot = 1; /* Keras: restore to the first epoch if nothing ever improves */
        e->have_best_weights = 1;
    }
    e->wait++;
    if (es_improved(e, current, e->best)) {
        e->best = current;
        e->best_epoch = epoch;
        if (e->restore_best_weights) d.snapshot = 1;
        if (!e->has_baseline || es_improved(e, current, e->baseline))
            e->wait = 0;
    }
    if (e->wait >= e->patience && epoch > 0) {
        e->stopped_epoch = epoch;
        d.stop = 1;
        if (e->restore_best_weights && e->have_best_weights) d.restore = 1;
    }
    return d;
}
