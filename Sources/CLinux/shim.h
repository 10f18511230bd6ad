// Linux interfaces that Swift's Glibc module does not bring in.
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <linux/vt.h>
#include <linux/kd.h>
#include <sys/prctl.h>

// prctl is variadic, which Swift cannot call: the one use, as a plain function.
static inline int tipskiosk_set_nondumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
