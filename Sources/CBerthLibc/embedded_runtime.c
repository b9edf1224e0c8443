// What the Embedded Swift standard library calls that the platform must provide (the full Swift
// runtime, which berthd links, has these itself): berth-monitor links this, nothing else does.
#include <errno.h>
#include <math.h>
#include <stdlib.h>

// Double(String) (JSONReader reads numbers with it): strtod in the C locale, which is the monitor's
// (it never calls setlocale). As the Swift runtime does, an out-of-range value yields NULL.
const char *_swift_stdlib_strtod_clocale(const char *nptr, double *outResult) {
    char *end;
    errno = 0;
    double r = strtod(nptr, &end);
    *outResult = r;
    if (errno == ERANGE && (r == HUGE_VAL || r == -HUGE_VAL || r == 0.0)) return NULL;
    return end;
}
