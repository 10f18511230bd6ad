// zlib, for the console fonts (`.psf.gz`) the kiosk's framebuffer display reads.
#include <zlib.h>
