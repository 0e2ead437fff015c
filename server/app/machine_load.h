/* Admission control on the machine's load (issue 14): every 2 s the main loop reads the CPU
 * pressure (PSI "some avg10": the share of time some runnable task waited for a CPU) from
 * [media] cpu_pressure_file (/proc/pressure/cpu, or a cgroup v2 group's cpu.pressure inside a
 * container) and feeds core/admission.h's model with [media] busy_cpu_pressure as its
 * threshold and busy_hold as its hold. While busy, new joins get `server-busy` like an
 * overloaded worker's. Thread: the main loop. */
#pragma once

#include <glib.h>

typedef struct HnMachineLoad HnMachineLoad;

/* NULL without error when threshold_pct is 0 (off); NULL with error when the file cannot be read
 * or holds no "some avg10=" line (the server then refuses to start: a threshold that can never
 * be judged is a configuration mistake). */
HnMachineLoad *hn_machine_load_new(const char *path, guint threshold_pct, guint hold_s,
                                   GMainContext *ctx, GError **error);
void hn_machine_load_free(HnMachineLoad *ml);
/* The retry hint (seconds) while the machine is busy, 0 otherwise. NULL ok (0). */
guint hn_machine_load_busy(const HnMachineLoad *ml);
/* The last pressure read, in per mille; -1 when off or never read. NULL ok. */
gint64 hn_machine_load_pressure(const HnMachineLoad *ml);
