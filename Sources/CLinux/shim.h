// Linux interfaces that Swift's Glibc module does not bring in.
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <linux/vt.h>
#include <linux/kd.h>
#include <linux/fb.h>
#include <sys/mman.h>
#include <sys/prctl.h>

// prctl is variadic, which Swift cannot call: the one use, as a plain function.
static inline int tipskiosk_set_nondumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

// KDSETMODE takes its mode as a plain integer, which Swift's variadic-free ioctl cannot pass.
static inline int tipskiosk_set_console_mode(int fd, int mode) { return ioctl(fd, KDSETMODE, mode); }
